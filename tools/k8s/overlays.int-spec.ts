/**
 * Renders every overlay with `kubectl kustomize` (as `kubectl apply -k` would) and checks what a cluster and the
 * services need from it: every variable a service requires at start-up is set (its ConfigMaps, its Secret keys
 * as listed in k8s/secret.example.yaml, its own env), every value set is one its schema accepts, the Ingress
 * exposes no metrics or service health, service accounts mount no token, pods run restricted.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAll, load } from 'js-yaml';
import { startupProblems } from '../config/env-check';

const root = resolve(__dirname, '../..');
const overlays = readdirSync(join(root, 'k8s/overlays'));
const SERVICES = ['gateway', 'voice-agent', 'booking', 'billing', 'notification', 'sync'];

type Obj = any;
const render = (overlay: string): Obj[] =>
  (loadAll(execFileSync('kubectl', ['kustomize', join(root, 'k8s/overlays', overlay)], { encoding: 'utf8' })) as Obj[]).filter(Boolean);
const secretKeys = Object.keys((load(readFileSync(join(root, 'k8s/secret.example.yaml'), 'utf8')) as Obj).stringData);

describe.each(overlays)('k8s overlay %s', (overlay) => {
  const objects = render(overlay);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  it('renders a Deployment, Service, PDB, HPA, ServiceAccount, NetworkPolicy and migrate Job per service', () => {
    for (const svc of SERVICES) {
      for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'ServiceAccount', 'NetworkPolicy', 'KafkaUser']) {
        expect([kind, svc, find(kind, svc) ? 'present' : 'missing']).toEqual([kind, svc, 'present']);
      }
      expect(find('Job', `${svc}-migrate`)).toBeDefined();
    }
    process.stdout.write(`[k8s] overlay ${overlay}: ${objects.length} objects\n`);
  });

  it.each(SERVICES)('sets every variable %s requires, each to a value its schema accepts', (svc) => {
    const container = find('Deployment', svc).spec.template.spec.containers[0];
    const env: Record<string, string | undefined> = {};
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef) Object.assign(env, find('ConfigMap', from.configMapRef.name)?.data ?? {});
      if (from.secretRef) for (const k of secretKeys) env[k] = '<secret>';
    }
    for (const e of container.env ?? []) env[e.name] = e.value ?? '<from a reference>';
    expect(startupProblems(svc, env)).toEqual([]);
  });

  it('exposes only the gateway\'s /api routes, never /metrics or service health', () => {
    const ingresses = objects.filter((o) => o.kind === 'Ingress');
    const paths = ingresses.flatMap((i) => i.spec.rules.flatMap((r: Obj) => r.http.paths));
    expect(paths.map((p: Obj) => [p.path, p.backend.service.name])).toEqual([['/api', 'gateway']]);
  });

  it('runs every pod non-root, read-only, without privileges or a service account token', () => {
    const pods = objects.filter((o) => ['Deployment', 'Job'].includes(o.kind)).map((o) => [o.metadata.name, o.spec.template.spec]);
    for (const [name, pod] of pods) {
      expect([name, pod.securityContext.runAsNonRoot, pod.automountServiceAccountToken ?? true]).toEqual([name, true, name === 'simulators']);
      for (const c of pod.containers) {
        expect([name, c.securityContext.readOnlyRootFilesystem, c.securityContext.allowPrivilegeEscalation, c.securityContext.capabilities.drop]).toEqual([name, true, false, ['ALL']]);
      }
    }
    for (const sa of objects.filter((o) => o.kind === 'ServiceAccount')) expect([sa.metadata.name, sa.automountServiceAccountToken]).toEqual([sa.metadata.name, false]);
  });
});
