import { randomUUID } from 'node:crypto';

/** The emulator's etcd: objects by apiVersion, kind, namespace and name, with resourceVersions and change events. */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: unknown[];
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string | undefined;
  name: string;
}

const keyOf = (r: ObjectRef) => JSON.stringify([r.apiVersion, r.kind, r.namespace ?? '', r.name]);

export const refOf = (o: KubeObject): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  namespace: o.metadata.namespace,
  name: o.metadata.name,
});

/** `a=b,c!=d,e,!f`: the equality-based label selector syntax. */
export function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector
    .split(',')
    .map((term) => term.trim())
    .filter(Boolean)
    .every((term) => {
      const neq = /^([^!=]+)!=(.*)$/.exec(term);
      if (neq) return labels?.[neq[1]?.trim() ?? ''] !== neq[2]?.trim();
      const eq = /^([^!=]+)==?(.*)$/.exec(term);
      if (eq) return labels?.[eq[1]?.trim() ?? ''] === eq[2]?.trim();
      if (term.startsWith('!')) return labels?.[term.slice(1)] === undefined;
      return labels?.[term] !== undefined;
    });
}

export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly listeners = new Set<(object: KubeObject) => void>();
  private counter = 0;

  /** The resourceVersion of the latest change. */
  get version(): string {
    return String(this.counter);
  }

  get(ref: ObjectRef): KubeObject | undefined {
    const found = this.objects.get(keyOf(ref));
    return found && structuredClone(found);
  }

  list(apiVersion: string, kind: string, namespace?: string, selector?: string): KubeObject[] {
    return [...this.objects.values()]
      .filter((o) => o.apiVersion === apiVersion && o.kind === kind)
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .filter((o) => matchesSelector(o.metadata.labels, selector))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
      .map((o) => structuredClone(o));
  }

  /** Stores the object as given, with a new resourceVersion (and uid and creation time when it is new). */
  put(object: KubeObject, now = new Date()): KubeObject {
    const previous = this.objects.get(keyOf(refOf(object)));
    const stored = structuredClone(object);
    stored.metadata.uid = previous?.metadata.uid ?? stored.metadata.uid ?? randomUUID();
    stored.metadata.creationTimestamp =
      previous?.metadata.creationTimestamp ??
      new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000', '');
    stored.metadata.resourceVersion = String(++this.counter);
    this.objects.set(keyOf(refOf(stored)), stored);
    this.notify(stored);
    return structuredClone(stored);
  }

  /** Replaces only `status`; a no-op (no new resourceVersion) when it is unchanged. */
  putStatus(ref: ObjectRef, status: unknown): void {
    const current = this.objects.get(keyOf(ref));
    if (!current || JSON.stringify(current.status) === JSON.stringify(status)) return;
    this.put({ ...current, status });
  }

  /** Removes the object; watchers see it once more, with the resourceVersion of its deletion. */
  delete(ref: ObjectRef): KubeObject | undefined {
    const current = this.objects.get(keyOf(ref));
    if (!current || !this.objects.delete(keyOf(ref))) return undefined;
    current.metadata.resourceVersion = String(++this.counter);
    this.notify(current);
    return structuredClone(current);
  }

  onChange(listener: (object: KubeObject) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(object: KubeObject): void {
    for (const listener of this.listeners) listener(object);
  }
}
