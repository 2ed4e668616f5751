import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from './object-store.js';

/**
 * The API server's validation and defaulting for the objects the emulator accepts, reduced to the rules a
 * deployer can get wrong: names, a Deployment's selector (matching its template, immutable), containers, the
 * rolling update parameters, a Service's ports and type, a binding's roleRef. Problems come back as the server words them.
 */

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function deploymentProblems(object: KubeObject, existing: KubeObject | undefined): string[] {
  const problems: string[] = [];
  const spec = asObj(object.spec);
  const selector = asObj(asObj(spec.selector).matchLabels);
  const template = asObj(spec.template);
  const labels = asObj(asObj(template.metadata).labels);
  if (Object.keys(selector).length === 0) problems.push('spec.selector: Required value');
  else if (Object.entries(selector).some(([k, v]) => labels[k] !== v)) {
    problems.push('spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`');
  }
  if (existing && !isDeepStrictEqual(asObj(existing.spec).selector, spec.selector)) {
    problems.push('spec.selector: Invalid value: field is immutable');
  }
  const containers = asObj(template.spec).containers;
  if (!Array.isArray(containers) || containers.length === 0)
    problems.push('spec.template.spec.containers: Required value');
  (Array.isArray(containers) ? containers : []).forEach((c: unknown, i) => {
    const container = asObj(c);
    if (typeof container.name !== 'string' || !DNS_LABEL.test(container.name)) {
      problems.push(`spec.template.spec.containers[${i}].name: Invalid value: must be a DNS label`);
    }
    if (typeof container.image !== 'string' || container.image === '') {
      problems.push(`spec.template.spec.containers[${i}].image: Required value`);
    }
  });
  const rolling = asObj(asObj(spec.strategy).rollingUpdate);
  if (rolling.maxSurge !== undefined && rolling.maxUnavailable !== undefined) {
    const zero = (v: unknown) => v === 0 || v === '0%';
    if (zero(rolling.maxSurge) && zero(rolling.maxUnavailable)) {
      problems.push('spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0');
    }
  }
  if (typeof spec.replicas === 'number' && spec.replicas < 0) problems.push('spec.replicas: must be >= 0');
  return problems;
}

function serviceProblems(object: KubeObject): string[] {
  const spec = asObj(object.spec);
  const problems: string[] = [];
  const type = spec.type ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(type))) {
    problems.push(`spec.type: Unsupported value: "${String(type)}"`);
  }
  const ports = spec.ports;
  if (!Array.isArray(ports) || ports.length === 0) problems.push('spec.ports: Required value');
  (Array.isArray(ports) ? ports : []).forEach((p: unknown, i) => {
    const port = asObj(p).port;
    if (typeof port !== 'number' || port < 1 || port > 65535) problems.push(`spec.ports[${i}].port: Invalid value`);
  });
  return problems;
}

/** A binding's roleRef: required, to a kind the binding may refer to, and immutable (a new role is a new binding). */
function bindingProblems(object: KubeObject, existing: KubeObject | undefined): string[] {
  const ref = asObj(object.roleRef);
  const kinds = object.kind === 'RoleBinding' ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  const problems: string[] = [];
  if (ref.apiGroup !== 'rbac.authorization.k8s.io')
    problems.push(`roleRef.apiGroup: Unsupported value: "${String(ref.apiGroup)}"`);
  if (!kinds.includes(String(ref.kind))) problems.push(`roleRef.kind: Unsupported value: "${String(ref.kind)}"`);
  if (typeof ref.name !== 'string' || ref.name === '') problems.push('roleRef.name: Required value');
  if (existing && !isDeepStrictEqual(existing.roleRef, object.roleRef)) {
    problems.push('roleRef: Invalid value: cannot change roleRef');
  }
  return problems;
}

/** Validation errors of an object about to be stored (with the object it replaces, if any). */
export function validate(object: KubeObject, existing: KubeObject | undefined): string[] {
  const problems: string[] = [];
  if (!DNS_SUBDOMAIN.test(object.metadata.name) || object.metadata.name.length > 253) {
    problems.push(`metadata.name: Invalid value: "${object.metadata.name}": a lowercase RFC 1123 subdomain`);
  }
  if (object.kind === 'Deployment') problems.push(...deploymentProblems(object, existing));
  if (object.kind === 'Service') problems.push(...serviceProblems(object));
  if (object.kind === 'RoleBinding' || object.kind === 'ClusterRoleBinding') {
    problems.push(...bindingProblems(object, existing));
  }
  return problems;
}

/** Fills in the defaults the real API server sets, outside lists, so that clients read what they would read. */
export function withDefaults(object: KubeObject): KubeObject {
  const out = structuredClone(object);
  if (out.kind === 'Deployment') {
    const spec = (out.spec ??= {}) as Obj;
    spec.replicas ??= 1;
    spec.progressDeadlineSeconds ??= 600;
    spec.revisionHistoryLimit ??= 10;
    spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
    const podSpec = asObj(asObj(spec.template).spec);
    podSpec.restartPolicy ??= 'Always';
    podSpec.terminationGracePeriodSeconds ??= 30;
    podSpec.dnsPolicy ??= 'ClusterFirst';
  }
  if (out.kind === 'Service') {
    const spec = (out.spec ??= {}) as Obj;
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
  }
  return out;
}
