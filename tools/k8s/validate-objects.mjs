#!/usr/bin/env node
// Validates Kubernetes objects (multi-document YAML on stdin) against the schemas a cluster would apply: the
// Kubernetes OpenAPI (kubernetes-models) and the CRD schemas of Strimzi, prometheus-operator and KEDA
// (@kubernetes-models/*, compiled JSON-schema validators). Prints one line per invalid object, `Kind/name: error`,
// and exits 1; a kind no schema package knows is invalid too (a typo in apiVersion must not pass unchecked).
// ESM on purpose: the model packages are ESM-only, so jest (CommonJS) runs this as a child process.
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

/** API group → the package holding its models (core and *.k8s.io groups are in kubernetes-models). */
const CRD_PACKAGES = {
  'kafka.strimzi.io': '@kubernetes-models/strimzi-kafka-operator',
  'core.strimzi.io': '@kubernetes-models/strimzi-kafka-operator',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'keda.sh': '@kubernetes-models/keda',
};

async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const pkg = CRD_PACKAGES[group] ?? (group === '' || !group.includes('.') || group.endsWith('.k8s.io') ? 'kubernetes-models' : undefined);
  if (!pkg) return undefined;
  const path = group === '' ? `${pkg}/${version}` : `${pkg}/${group}/${version}`;
  let mod;
  try {
    mod = await import(path);
  } catch {
    return undefined;
  }
  const Model = mod[kind];
  return Model && Model.apiVersion === apiVersion && Model.kind === kind ? Model : undefined;
}

async function problems(objects) {
  const out = [];
  for (const o of objects) {
    const id = `${o?.kind ?? '<no kind>'}/${o?.metadata?.name ?? '<no name>'}`;
    const Model = await modelFor(o?.apiVersion, o?.kind);
    if (!Model) {
      out.push(`${id}: no schema for ${o?.apiVersion} ${o?.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (e) {
      out.push(`${id}: ${String(e.message).replace(/\s*\n\s*/g, '; ')}`);
    }
  }
  return out;
}

const objects = yaml.loadAll(readFileSync(0, 'utf8')).filter(Boolean);
const found = await problems(objects);
for (const line of found) process.stdout.write(`${line}\n`);
process.stderr.write(`[validate-objects] ${objects.length} objects, ${found.length} invalid\n`);
process.exitCode = found.length ? 1 : 0;
