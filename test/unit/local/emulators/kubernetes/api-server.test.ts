import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, MASTERS, ObjectStore } from '../../../../../local/emulators/kubernetes/index.js';
import { listen } from '../../../../support/http-server.js';

let url: string;
let close: () => Promise<void>;
const store = new ObjectStore();
const ADMIN_TOKEN = 'admin-token';

beforeAll(async () => {
  ({ url, close } = await listen(
    createApiServer({ store, users: { [ADMIN_TOKEN]: { name: 'admin', groups: [MASTERS] } } }),
  ));
});
afterAll(() => close());

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const APPLY = 'application/apply-patch+yaml';

function deployment(image: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', ...extra },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

/** The parts of responses the tests read. */
interface Body {
  kind?: string;
  reason?: string;
  code?: number;
  message?: string;
  groups?: unknown[];
  resources: Array<{ name: string; kind: string }>;
  items: Array<{ metadata: { name: string } }>;
  metadata: { generation?: number; resourceVersion?: string };
  spec: { template: { spec: { containers: Array<{ image: string }> } } };
}

async function call(method: string, path: string, body?: unknown, contentType = APPLY) {
  const authorization = `Bearer ${ADMIN_TOKEN}`;
  const res = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined
      ? { headers: { authorization } }
      : {
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'content-type': contentType, authorization },
        }),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

const applyAs = (manager: string, object: unknown, force = false) =>
  call('PATCH', `${DEPLOYMENTS}/web?fieldManager=${manager}&force=${force}`, object);

describe('the API server', () => {
  it('serves discovery for v1, apps/v1 and rbac.authorization.k8s.io/v1', async () => {
    expect((await call('GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    expect((await call('GET', '/apis')).body.groups).toEqual([
      {
        name: 'apps',
        versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
      },
      {
        name: 'rbac.authorization.k8s.io',
        versions: [{ groupVersion: 'rbac.authorization.k8s.io/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'rbac.authorization.k8s.io/v1', version: 'v1' },
      },
    ]);
    const core = (await call('GET', '/api/v1')).body;
    expect(core.resources.filter((r) => !r.name.includes('/')).map((r) => r.kind)).toEqual([
      'ConfigMap',
      'Service',
      'Pod',
    ]);
    expect((await call('GET', '/apis/apps/v1')).body.resources[0]).toMatchObject({
      name: 'deployments',
      kind: 'Deployment',
      namespaced: true,
    });
    expect((await call('GET', '/apis/batch/v1')).status).toBe(404);
  });

  it('creates with server-side apply, fills in defaults, and bumps generation only for spec changes', async () => {
    const created = await applyAs('modelship', deployment('img:1'));
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({
      generation: 1,
      resourceVersion: expect.any(String),
      uid: expect.any(String),
    });
    expect(created.body.spec).toMatchObject({
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
      strategy: { type: 'RollingUpdate' },
    });

    const same = await applyAs('modelship', deployment('img:1'));
    expect([same.status, same.body.metadata.resourceVersion]).toEqual([200, created.body.metadata.resourceVersion]);

    const annotated = await applyAs('modelship', deployment('img:1', { annotations: { note: 'x' } }));
    expect(annotated.body.metadata.generation).toBe(1);
    expect(annotated.body.metadata.resourceVersion).not.toBe(created.body.metadata.resourceVersion);

    const changed = await applyAs('modelship', deployment('img:2', { annotations: { note: 'x' } }));
    expect(changed.body.metadata.generation).toBe(2);
    expect((await call('GET', `${DEPLOYMENTS}/web/status`)).body.spec.template.spec.containers[0]?.image).toBe('img:2');
  });

  it('answers errors with Status objects, as the real server', async () => {
    const cases: Array<[Promise<{ status: number; body: Body }>, number, string, RegExp]> = [
      [
        call('PATCH', `${DEPLOYMENTS}/web?fieldManager=m`, deployment('x'), 'application/merge-patch+json'),
        415,
        'UnsupportedMediaType',
        /server-side apply only/,
      ],
      [call('PATCH', `${DEPLOYMENTS}/web`, deployment('x')), 400, 'BadRequest', /must supply a fieldManager/],
      [
        call('PATCH', `${DEPLOYMENTS}/other?fieldManager=m`, deployment('x')),
        400,
        'BadRequest',
        /does not match the name on the URL \(other\)/,
      ],
      [call('PATCH', `${DEPLOYMENTS}/web?fieldManager=m`, 'a: [1'), 400, 'BadRequest', /error decoding YAML/],
      [call('GET', `${DEPLOYMENTS}/missing`), 404, 'NotFound', /^deployments\.apps "missing" not found$/],
      [
        call('GET', '/apis/apps/v1/namespaces/default/statefulsets'),
        404,
        'NotFound',
        /could not find the requested resource/,
      ],
      [
        call('POST', DEPLOYMENTS, deployment('x'), 'application/json'),
        405,
        'MethodNotAllowed',
        /does not support POST/,
      ],
      [
        applyAs('kubectl', deployment('img:3')),
        409,
        'Conflict',
        /Apply failed with 1 conflict\(s\): conflict with "modelship": \.spec\.template/,
      ],
    ];
    for (const [response, status, reason, message] of cases) {
      const { status: got, body } = await response;
      expect([got, body.kind, body.reason, body.code]).toEqual([status, 'Status', reason, status]);
      expect(body.message).toMatch(message);
    }
  });

  it('validates what it stores: the selector matches the template and cannot change', async () => {
    const mismatched = deployment('img:2');
    mismatched.spec.template.metadata.labels = { app: 'api' };
    expect((await applyAs('modelship', mismatched)).body.message).toMatch(
      /`selector` does not match template `labels`/,
    );
    const moved = deployment('img:2');
    moved.spec.selector.matchLabels = { app: 'api' };
    moved.spec.template.metadata.labels = { app: 'api' };
    const refused = await applyAs('modelship', moved);
    expect([refused.status, refused.body.message]).toEqual([
      422,
      'Deployment "web" is invalid: spec.selector: Invalid value: field is immutable',
    ]);
  });

  it('lists by label selector', async () => {
    for (const [name, tier] of [
      ['a', 'front'],
      ['b', 'back'],
    ]) {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { tier } }, data: {} };
      expect((await call('PATCH', `/api/v1/namespaces/default/configmaps/${name}?fieldManager=m`, cm)).status).toBe(
        201,
      );
    }
    const names = async (q: string) =>
      (await call('GET', `/api/v1/namespaces/default/configmaps${q}`)).body.items.map((i) => i.metadata.name);
    expect(await names('')).toEqual(['a', 'b']);
    expect(await names('?labelSelector=tier%3Dback')).toEqual(['b']);
    expect(await names('?labelSelector=tier!%3Dback')).toEqual(['a']);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps')).body.kind).toBe('ConfigMapList');
  });
});

describe('DELETE', () => {
  const SERVICES = '/api/v1/namespaces/default/services';
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'front' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
  };

  /** The events of a watch, up to and including the first DELETED one. */
  async function watchUntilDeleted(path: string): Promise<Array<{ type: string; rv: string | undefined }>> {
    const res = await fetch(`${url}${path}?watch=true`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const events: Array<{ type: string; rv: string | undefined }> = [];
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk);
      const lines = text.split('\n');
      text = lines.pop() ?? '';
      for (const line of lines) {
        const event = JSON.parse(line) as { type: string; object: { metadata: { resourceVersion?: string } } };
        events.push({ type: event.type, rv: event.object.metadata.resourceVersion });
        if (event.type === 'DELETED') return events;
      }
    }
    return events;
  }

  it('deletes a Deployment, answering a Success Status that names it, as kube-apiserver does', async () => {
    const created = await applyAs('modelship', deployment('img:1'));
    const watched = watchUntilDeleted(DEPLOYMENTS);
    const deleted = await call('DELETE', `${DEPLOYMENTS}/web`);
    expect(deleted).toEqual({
      status: 200,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: {
          name: 'web',
          group: 'apps',
          kind: 'deployments',
          uid: (created.body.metadata as { uid: string }).uid,
        },
      },
    });
    // Watchers see it go, with a resourceVersion newer than its last.
    const events = await watched;
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
    expect(Number(events[1]?.rv)).toBeGreaterThan(Number(events[0]?.rv));
    const notFound = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "web" not found',
      reason: 'NotFound',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
      code: 404,
    };
    expect(await call('GET', `${DEPLOYMENTS}/web`)).toEqual({ status: 404, body: notFound });
    expect(await call('DELETE', `${DEPLOYMENTS}/web`)).toEqual({ status: 404, body: notFound });
  });

  it('answers the deleted Service itself, and a core-group 404 without a group', async () => {
    await call('PATCH', `${SERVICES}/front?fieldManager=m`, service);
    const deleted = await call('DELETE', `${SERVICES}/front`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ kind: 'Service', metadata: { name: 'front' } });
    expect((await call('DELETE', `${SERVICES}/front`)).body).toMatchObject({
      message: 'services "front" not found',
      details: { name: 'front', kind: 'services' },
    });
  });

  it('takes the Background propagation policy from the query or a DeleteOptions body, and refuses others', async () => {
    await call('PATCH', `${SERVICES}/front?fieldManager=m`, service);
    const foreground = await call('DELETE', `${SERVICES}/front?propagationPolicy=Foreground`);
    expect([foreground.status, foreground.body.message]).toEqual([
      400,
      'the emulator deletes with propagationPolicy Background only, not Foreground',
    ]);
    const orphan = await call('DELETE', `${SERVICES}/front`, { kind: 'DeleteOptions', propagationPolicy: 'Orphan' });
    expect(orphan.status).toBe(400);
    const background = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' };
    expect((await call('DELETE', `${SERVICES}/front`, background, 'application/json')).status).toBe(200);
  });
});
