import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../../local/emulators/kubernetes/index.js';
import { serverSideApply } from '../../../../../local/emulators/kubernetes/server-side-apply.js';

const NOW = new Date('2025-01-01T10:00:00.250Z');

function configMap(data: Record<string, string>, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm', namespace: 'default', ...(labels ? { labels } : {}) },
    data,
  };
}

function apply(existing: KubeObject | undefined, applied: KubeObject, manager: string, force = false) {
  const outcome = serverSideApply(existing, applied, manager, force, NOW);
  if (!outcome.ok) throw new Error(outcome.conflicts.join('; '));
  return outcome;
}

describe('serverSideApply', () => {
  it('creates, recording the manager and its fields as FieldsV1', () => {
    const { object, created, changed } = apply(undefined, configMap({ a: '1' }, { app: 'x' }), 'modelship');
    expect({ created, changed }).toEqual({ created: true, changed: true });
    expect(object.data).toEqual({ a: '1' });
    expect(object.metadata.managedFields).toEqual([
      {
        manager: 'modelship',
        operation: 'Apply',
        apiVersion: 'v1',
        time: '2025-01-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:data': { 'f:a': {} } },
      },
    ]);
  });

  it('changes nothing when the same configuration is applied again', () => {
    const first = apply(undefined, configMap({ a: '1' }), 'modelship').object;
    const again = serverSideApply(first, configMap({ a: '1' }), 'modelship', false, new Date('2025-01-02T00:00:00Z'));
    expect(again).toMatchObject({ ok: true, changed: false, specChanged: false });
  });

  it("removes the fields a manager stops applying, but not another manager's", () => {
    let object = apply(undefined, configMap({ a: '1', b: '2' }), 'modelship').object;
    object = apply(object, configMap({ c: '3' }), 'kubectl').object;
    const outcome = apply(object, configMap({ a: '1' }), 'modelship');
    expect(outcome.object.data).toEqual({ a: '1', c: '3' });
    expect(outcome.specChanged).toBe(true);
  });

  it("refuses to take another manager's field with a different value unless forced", () => {
    const object = apply(undefined, configMap({ a: '1' }), 'kubectl').object;
    expect(serverSideApply(object, configMap({ a: '2' }), 'modelship', false, NOW)).toEqual({
      ok: false,
      conflicts: ['conflict with "kubectl": .data.a'],
    });
    // Same value: shared ownership, no conflict.
    expect(serverSideApply(object, configMap({ a: '1' }), 'modelship', false, NOW).ok).toBe(true);
    const forced = apply(object, configMap({ a: '2' }), 'modelship', true).object;
    expect(forced.data).toEqual({ a: '2' });
    expect((forced.metadata.managedFields as Array<{ manager: string }>).map((m) => m.manager)).toEqual(['modelship']);
  });

  it('treats lists as one field and keeps server-owned metadata and status', () => {
    const existing: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'default', uid: 'u-1', generation: 3, resourceVersion: '9', managedFields: [] },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'x' },
              { name: 'b', image: 'y' },
            ],
          },
        },
      },
      status: { replicas: 2 },
    };
    const applied: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'default' },
      spec: { template: { spec: { containers: [{ name: 'a', image: 'z' }] } } },
    };
    const { object } = apply(existing, applied, 'modelship');
    expect((object.spec as { template: unknown }).template).toEqual({
      spec: { containers: [{ name: 'a', image: 'z' }] },
    });
    expect(object.metadata).toMatchObject({ uid: 'u-1', generation: 3, resourceVersion: '9' });
    expect(object.status).toEqual({ replicas: 2 });
  });
});
