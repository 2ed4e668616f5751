import type { ServerResponse } from 'node:http';
import { matchesSelector, refOf, type KubeObject, type ObjectStore } from './object-store.js';

/**
 * List filters and watches: `fieldSelector` (metadata.name and metadata.namespace, what kubectl uses) and a
 * `?watch=true` stream of `{"type": "ADDED|MODIFIED|DELETED", "object": …}` lines, starting with the objects
 * there are, as `kubectl rollout status` and informers read it. A watch ends at `timeoutSeconds` or on hang-up.
 */

export interface ListQuery {
  apiVersion: string;
  kind: string;
  namespace: string | undefined;
  labelSelector: string | undefined;
  fieldSelector: string | undefined;
}

function matchesFields(object: KubeObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [field, value] = term.split('=').map((s) => s.trim());
    if (field === 'metadata.name') return object.metadata.name === value;
    if (field === 'metadata.namespace') return object.metadata.namespace === value;
    return false;
  });
}

export function listObjects(store: ObjectStore, q: ListQuery): KubeObject[] {
  return store
    .list(q.apiVersion, q.kind, q.namespace, q.labelSelector)
    .filter((o) => matchesFields(o, q.fieldSelector));
}

export function serveWatch(res: ServerResponse, store: ObjectStore, q: ListQuery, timeoutSeconds: number): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const matches = (o: KubeObject) =>
    o.apiVersion === q.apiVersion &&
    o.kind === q.kind &&
    (q.namespace === undefined || o.metadata.namespace === q.namespace) &&
    matchesSelector(o.metadata.labels, q.labelSelector) &&
    matchesFields(o, q.fieldSelector);
  const event = (type: string, object: KubeObject) => res.write(`${JSON.stringify({ type, object })}\n`);
  const known = new Set<string>();
  for (const object of listObjects(store, q)) {
    known.add(object.metadata.name);
    event('ADDED', object);
  }
  const unsubscribe = store.onChange((object) => {
    if (!matches(object)) return;
    const current = store.get(refOf(object));
    const type = !current ? 'DELETED' : known.has(object.metadata.name) ? 'MODIFIED' : 'ADDED';
    if (current) known.add(object.metadata.name);
    else known.delete(object.metadata.name);
    event(type, current ?? object);
  });
  const timer = setTimeout(() => res.end(), timeoutSeconds * 1000);
  res.once('close', () => {
    clearTimeout(timer);
    unsubscribe();
  });
}
