/**
 * Renders every overlay with `kubectl kustomize` (as `kubectl apply -k` would) and checks what a cluster and the
 * services need from it: every variable a service requires at start-up is set (its ConfigMaps, its Secret keys
 * as listed in k8s/secret.example.yaml, its own env), every value set is one its schema accepts, the Ingress
 * exposes no metrics or service health, service accounts mount no token, pods run restricted; and every object (with
 * the optional KEDA component too) validates against the Kubernetes OpenAPI and the Strimzi/prometheus-operator/KEDA
 * CRD schemas (`validate-objects.mjs`, an ESM child process: the schema packages are ESM-only).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { dump, loadAll, load } from 'js-yaml';
import { startupProblems } from '../config/env-check';

const root = resolve(__dirname, '../..');
const overlays = readdirSync(join(root, 'k8s/overlays'));
const SERVICES = ['gateway', 'voice-agent', 'booking', 'billing', 'notification', 'sync'];

type Obj = any;
const kustomize = (dir: string): string => execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
const render = (overlay: string): Obj[] => (loadAll(kustomize(join(root, 'k8s/overlays', overlay))) as Obj[]).filter(Boolean);

/** The overlay with an extra component, as a platform team would add it to the overlay's `components:`. */
function renderWithComponent(overlay: string, component: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-'));
  try {
    // kustomize refuses absolute resource paths
    const rel = (p: string) => relative(dir, join(root, p));
    writeFileSync(join(dir, 'kustomization.yaml'), dump({
      apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization',
      resources: [rel(`k8s/overlays/${overlay}`)], components: [rel(`k8s/components/${component}`)],
    }));
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The invalid objects of a YAML stream, one `Kind/name: error` line each (empty when all are valid). */
function schemaProblems(yaml: string): string[] {
  const run = spawnSync(process.execPath, [join(__dirname, 'validate-objects.mjs')], { input: yaml, encoding: 'utf8', maxBuffer: 64 << 20 });
  const lines = run.stdout.split('\n').filter(Boolean);
  if (run.status !== (lines.length ? 1 : 0)) throw new Error(`validate-objects.mjs exited ${run.status}: ${run.stderr}`);
  return lines;
}
const secretKeys = Object.keys((load(readFileSync(join(root, 'k8s/secret.example.yaml'), 'utf8')) as Obj).stringData);

describe.each(overlays)('k8s overlay %s', (overlay) => {
  const objects = render(overlay);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  it('renders only objects that validate against the Kubernetes and CRD schemas', () => {
    expect(schemaProblems(kustomize(join(root, 'k8s/overlays', overlay)))).toEqual([]);
  });

  it('with the KEDA component: ScaledObjects instead of HPAs, every object valid', () => {
    const yaml = renderWithComponent(overlay, 'keda');
    const kinds = (loadAll(yaml) as Obj[]).filter(Boolean).map((o) => o.kind);
    expect([kinds.filter((k) => k === 'ScaledObject').length, kinds.filter((k) => k === 'HorizontalPodAutoscaler').length]).toEqual([SERVICES.length, 0]);
    expect(schemaProblems(yaml)).toEqual([]);
  });

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

describe('schema validation of rendered objects', () => {
  const prod = render('prod');
  const named = (kind: string, name: string) => structuredClone(prod.find((o) => o.kind === kind && o.metadata.name === name));

  it('reports a Deployment with a field of the wrong type, naming the object and the field', () => {
    const deployment = named('Deployment', 'gateway');
    deployment.spec.replicas = 'two';
    expect(schemaProblems(dump(deployment))).toEqual([expect.stringMatching(/^Deployment\/gateway: .*spec\/replicas must be integer/)]);
  });

  it('reports a KafkaUser whose ACL names an operation Kafka does not have', () => {
    const user = named('KafkaUser', 'booking');
    user.spec.authorization.acls[0].operations = ['Scribble'];
    expect(schemaProblems(dump(user))).toEqual([expect.stringMatching(/^KafkaUser\/booking: .*acls\/0\/operations\/0 must be equal to one of the allowed values/)]);
  });

  it('reports a kind no schema knows (e.g. a mistyped apiVersion) instead of passing it unchecked', () => {
    const rule = named('PrometheusRule', prod.find((o) => o.kind === 'PrometheusRule').metadata.name);
    rule.apiVersion = 'monitoring.coreos.com/v2';
    const objects = [rule, { apiVersion: 'v1', kind: 'Widget', metadata: { name: 'w' } }, named('Service', 'gateway')];
    expect(schemaProblems(objects.map((o) => dump(o)).join('---\n'))).toEqual([
      `PrometheusRule/${rule.metadata.name}: no schema for monitoring.coreos.com/v2 PrometheusRule`,
      'Widget/w: no schema for v1 Widget',
    ]);
  });
});
