import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from './object-store.js';

/**
 * Server-side apply, as the API server does it for one object, with one simplification: lists are atomic (the
 * whole list is one field), where the real server merges some lists by key. Each field manager owns the fields
 * it applied; applying again sets them, removes the ones it owned and no longer applies (unless another manager
 * owns them too), and a field another manager owns with a different value is a conflict unless `force`.
 * Ownership is kept in `metadata.managedFields` (FieldsV1, `f:` keys) as the real server keeps it.
 */

type Path = readonly string[];
type Flat = Map<string, { path: Path; value: unknown }>;

/** Fields the server owns: they are never part of an apply. */
const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'managedFields',
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const keyOf = (path: Path) => JSON.stringify(path);

/** Leaves of the object's configuration: scalars, lists and empty maps, by path. */
function flatten(object: Record<string, unknown>): Flat {
  const out: Flat = new Map();
  const walk = (value: unknown, path: Path) => {
    if (isObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) {
        if (path.length === 1 && path[0] === 'metadata' && SERVER_METADATA.has(k)) continue;
        if (v !== undefined) walk(v, [...path, k]);
      }
    } else out.set(keyOf(path), { path, value });
  };
  for (const [k, v] of Object.entries(object)) {
    if (k !== 'apiVersion' && k !== 'kind' && k !== 'status' && v !== undefined) walk(v, [k]);
  }
  return out;
}

function unflatten(flat: Flat): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { path, value } of flat.values()) {
    let node = out;
    path.slice(0, -1).forEach((k) => (node = (node[k] ??= {}) as Record<string, unknown>));
    node[path.at(-1) ?? ''] = structuredClone(value);
  }
  return out;
}

function toFieldsV1(paths: Iterable<Path>): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  for (const path of paths) {
    let node = tree;
    for (const k of path) node = (node[`f:${k}`] ??= {}) as Record<string, unknown>;
  }
  return tree;
}

function fromFieldsV1(tree: unknown, prefix: Path = []): Path[] {
  if (!isObject(tree) || Object.keys(tree).length === 0) return prefix.length > 0 ? [prefix] : [];
  return Object.entries(tree).flatMap(([k, v]) => (k.startsWith('f:') ? fromFieldsV1(v, [...prefix, k.slice(2)]) : []));
}

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
}

function owners(object: KubeObject | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const entry of (object?.metadata.managedFields ?? []) as ManagedFieldsEntry[]) {
    out.set(entry.manager, new Set(fromFieldsV1(entry.fieldsV1).map(keyOf)));
  }
  return out;
}

const isPrefix = (a: Path, b: Path) => a.length < b.length && a.every((k, i) => b[i] === k);

export type ApplyOutcome =
  | { ok: true; object: KubeObject; created: boolean; changed: boolean; specChanged: boolean }
  | { ok: false; conflicts: string[] };

/** Applies `applied` for `manager` on `existing` (undefined: create). The result keeps existing's server fields. */
export function serverSideApply(
  existing: KubeObject | undefined,
  applied: KubeObject,
  manager: string,
  force: boolean,
  now: Date,
): ApplyOutcome {
  const before = existing ? flatten(existing) : new Map();
  const mine = flatten(applied);
  const owned = owners(existing);
  const conflicts: string[] = [];
  for (const [key, { path, value }] of mine) {
    for (const [other, fields] of owned) {
      if (other === manager || !fields.has(key) || isDeepStrictEqual(before.get(key)?.value, value)) continue;
      if (force) fields.delete(key);
      else conflicts.push(`conflict with "${other}": .${path.join('.')}`);
    }
  }
  if (conflicts.length > 0) return { ok: false, conflicts };

  const after: Flat = new Map(before);
  const othersOwn = (key: string) => [...owned].some(([m, fields]) => m !== manager && fields.has(key));
  for (const key of owned.get(manager) ?? []) if (!mine.has(key) && !othersOwn(key)) after.delete(key);
  for (const [key, leaf] of mine) {
    for (const [otherKey, other] of after) {
      if (isPrefix(leaf.path, other.path) || isPrefix(other.path, leaf.path)) after.delete(otherKey);
    }
    after.set(key, leaf);
  }
  owned.set(manager, new Set(mine.keys()));

  const time = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000', '');
  const previousEntries = (existing?.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  const managedFields = [...owned]
    .filter(([, fields]) => fields.size > 0)
    .map(([m, fields]): ManagedFieldsEntry => {
      const kept = previousEntries.find((e) => e.manager === m);
      const paths = [...fields].map((k) => JSON.parse(k) as Path);
      return m === manager || !kept
        ? {
            manager: m,
            operation: 'Apply',
            apiVersion: applied.apiVersion,
            time,
            fieldsType: 'FieldsV1',
            fieldsV1: toFieldsV1(paths),
          }
        : { ...kept, fieldsV1: toFieldsV1(paths) };
    });

  const config = unflatten(after);
  const configMetadata = (config.metadata ?? {}) as Record<string, unknown>;
  const server = Object.fromEntries(
    Object.entries(existing?.metadata ?? {}).filter(([k]) => SERVER_METADATA.has(k) && k !== 'managedFields'),
  );
  const object: KubeObject = {
    ...config,
    apiVersion: applied.apiVersion,
    kind: applied.kind,
    metadata: { ...server, ...configMetadata, name: applied.metadata.name, managedFields },
    ...(existing?.status === undefined ? {} : { status: existing.status }),
  };
  if (applied.metadata.namespace !== undefined) object.metadata.namespace = applied.metadata.namespace;
  const changedKeys = [...new Set([...before.keys(), ...after.keys()])].filter(
    (k) => !isDeepStrictEqual(before.get(k)?.value, after.get(k)?.value),
  );
  const specChanged = changedKeys.some((k) => !k.startsWith('["metadata"'));
  const fieldsOf = (entries: ManagedFieldsEntry[]) => JSON.stringify(entries.map((e) => [e.manager, e.fieldsV1]));
  // A no-op apply leaves the object alone, managedFields' times included, as the real server does.
  const changed = changedKeys.length > 0 || fieldsOf(previousEntries) !== fieldsOf(managedFields);
  return { ok: true, object, created: !existing, changed, specChanged };
}
