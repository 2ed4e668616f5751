import { describe, expect, it } from 'vitest';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import {
  createKubeClient,
  deployScenario,
  loadScenario,
  renderScenario,
  systemClock,
  teardownScenario,
  type Role,
} from '../../../../../shared/deploy/index.js';
import { waitUntil } from '../../../../../local/wait-until.js';
import { ModelshipError } from '../../../../../shared/errors.js';
import { rbacManifests } from '../../../../../operator/gcp/plan-cluster.js';
import { localGcpConfig, localNames } from '../../../../../local/local-gcp-config.js';
import type { KubernetesEmulator } from '../../../../../local/emulators/kubernetes/index.js';
import { rawCall, useEmulator } from './emulator-fixture.js';
import { fakeLauncher } from './fake-launcher.js';
import { createMemoryLogger } from '../../../../support/memory-logger.js';

/**
 * The emulator's API server authenticates by bearer token and authorizes by RBAC, with kube-apiserver's words: the
 * deployer has exactly the rights `modelship gcp plan` gives it, and a missing one fails as it would on GKE.
 */

const start = useEmulator();
const RBAC = 'rbac.authorization.k8s.io/v1';
const DEPLOYER = localNames('rbac-test').email('deployer');
const TOKENS = { deployer: 'deployer-token', alice: 'alice-token', bob: 'bob-token' };
const USERS = {
  [TOKENS.deployer]: { name: DEPLOYER },
  [TOKENS.alice]: { name: 'alice', groups: ['ml-team'] },
  [TOKENS.bob]: { name: 'bob' },
};
const IMAGE = `registry.local/tfs@sha256:${'d'.repeat(64)}`;

/** The plan's Role and RoleBinding, applied as the administrator. */
const planRbac = () => rbacManifests(localGcpConfig('rbac-test'), localNames('rbac-test')) as KubernetesObject[];

async function emulatorWith(rbac: KubernetesObject[]) {
  const { emulator, kube } = await start({ launcher: fakeLauncher().launcher, timeScale: 0.002, users: USERS });
  await kube.apply(rbac);
  return emulator;
}

interface Status {
  kind?: string;
  message?: string;
  reason?: string;
  details?: Record<string, string>;
  code?: number;
}

const call = (emulator: KubernetesEmulator, token: string | undefined, method: string, path: string) =>
  rawCall<Status>(emulator, token, method, path);

function forbidden(message: string, details: Record<string, string>) {
  return {
    status: 403,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason: 'Forbidden',
      details,
      code: 403,
    },
  };
}

const role = (kind: 'Role' | 'ClusterRole', name: string, rules: unknown[], namespace?: string) => ({
  apiVersion: RBAC,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  rules,
});

const binding = (
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  roleRef: { kind: string; name: string },
  subjects: unknown[],
  namespace?: string,
) => ({
  apiVersion: RBAC,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
  subjects,
});

const configMap = (name: string, namespace = 'default') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data: { a: '1' },
});

describe('authentication', () => {
  it('answers 401 Unauthorized without a token and with a token it does not know', async () => {
    const emulator = await emulatorWith([]);
    const unauthorized = {
      status: 401,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      },
    };
    expect(await call(emulator, undefined, 'GET', '/api/v1/namespaces/default/pods')).toEqual(unauthorized);
    expect(await call(emulator, 'not-a-token', 'GET', '/api')).toEqual(unauthorized);
    expect(await call(emulator, 'constructor', 'GET', '/api')).toEqual(unauthorized);
  });

  it('lets any signed-in user read discovery, and nothing else without a binding', async () => {
    const emulator = await emulatorWith([]);
    for (const path of ['/api', '/api/v1', '/apis', '/apis/apps/v1', '/version']) {
      expect((await call(emulator, TOKENS.bob, 'GET', path)).status, path).toBe(200);
    }
    expect(await call(emulator, TOKENS.bob, 'GET', '/logs')).toEqual(
      forbidden('forbidden: User "bob" cannot get path "/logs"', {}),
    );
    expect(await call(emulator, TOKENS.bob, 'GET', '/api/v1/namespaces/default/pods')).toEqual(
      forbidden(
        'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"',
        {
          kind: 'pods',
        },
      ),
    );
  });
});

describe("the deployer with the plan's Role", () => {
  it('server-side applies its ConfigMap, Deployment and Services, and reads the rollout', async () => {
    const emulator = await emulatorWith(planRbac());
    const kube = createKubeClient(emulator.kubeConfig('default', DEPLOYER));
    const manifests = renderScenario(await loadScenario('2n-8c-64r-interop8-batch'), IMAGE, { replicas: 1 });
    const applied = await kube.apply(manifests);
    expect(applied.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'ConfigMap/tfs-server-batching',
      'Deployment/tfs-server',
      'Service/tfs-server',
      'Service/tfs-server-headless',
    ]);
    // Applying again patches what exists.
    await kube.apply(manifests);
    expect((await kube.readDeployment('default', 'tfs-server'))?.metadata?.generation).toBe(1);
    expect(await kube.readService('default', 'tfs-server')).toBeDefined();
    expect(await kube.listPods('default', 'app.kubernetes.io/name=tfs-server')).toBeInstanceOf(Array);
    expect(
      (await call(emulator, TOKENS.deployer, 'GET', '/apis/apps/v1/namespaces/default/deployments?watch=false')).status,
    ).toBe(200);
  });

  it('is refused, in kube-apiserver words, what the Role does not grant', async () => {
    const emulator = await emulatorWith(planRbac());
    const cannot = (verb: string, resource: string, group: string, namespace = 'default') =>
      `User "${DEPLOYER}" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${namespace}"`;
    const as = (method: string, path: string) => call(emulator, TOKENS.deployer, method, path);

    expect(await as('DELETE', '/api/v1/namespaces/default/pods/tfs-server-abc')).toEqual(
      forbidden(`pods "tfs-server-abc" is forbidden: ${cannot('delete', 'pods', '')}`, {
        name: 'tfs-server-abc',
        kind: 'pods',
      }),
    );
    expect(await as('DELETE', '/apis/apps/v1/namespaces/default/deployments')).toEqual(
      forbidden(`deployments.apps is forbidden: ${cannot('deletecollection', 'deployments', 'apps')}`, {
        group: 'apps',
        kind: 'deployments',
      }),
    );
    // Secrets are not even served by the emulator: authorization comes first, as in kube-apiserver.
    expect(await as('GET', '/api/v1/namespaces/default/secrets/token')).toEqual(
      forbidden(`secrets "token" is forbidden: ${cannot('get', 'secrets', '')}`, { name: 'token', kind: 'secrets' }),
    );
    expect(await as('POST', '/api/v1/namespaces/default/secrets')).toEqual(
      forbidden(`secrets is forbidden: ${cannot('create', 'secrets', '')}`, { kind: 'secrets' }),
    );
    expect(await as('GET', '/apis/apps/v1/namespaces/default/deployments/tfs-server/status')).toEqual(
      forbidden(`deployments.apps "tfs-server" is forbidden: ${cannot('get', 'deployments/status', 'apps')}`, {
        name: 'tfs-server',
        group: 'apps',
        kind: 'deployments',
      }),
    );
    expect(await as('GET', '/api/v1/namespaces/default/pods?watch=true')).toEqual(
      forbidden(`pods is forbidden: ${cannot('watch', 'pods', '')}`, { kind: 'pods' }),
    );
    expect(await as('GET', '/api/v1/namespaces/default/services')).toEqual(
      forbidden(`services is forbidden: ${cannot('list', 'services', '')}`, { kind: 'services' }),
    );
    expect(await as('GET', '/api/v1/pods')).toEqual(
      forbidden(
        `pods is forbidden: User "${DEPLOYER}" cannot list resource "pods" in API group "" at the cluster scope`,
        { kind: 'pods' },
      ),
    );

    // The Role is in `default`: the same apply in another namespace is refused.
    const error = await createKubeClient(emulator.kubeConfig('default', DEPLOYER))
      .apply([configMap('settings', 'other')])
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ModelshipError);
    expect((error as Error).message).toBe(
      `applying ConfigMap other/settings: the Kubernetes API answered 403 Forbidden: configmaps "settings" is forbidden: ${cannot('patch', 'configmaps', '', 'other')} (check the credentials and RBAC of the deployer)`,
    );
  });
});

describe('RBAC semantics', () => {
  it('binds a Group, and only the users in it', async () => {
    const emulator = await emulatorWith([
      role('Role', 'reader', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }], 'default'),
      binding('RoleBinding', 'team', { kind: 'Role', name: 'reader' }, [{ kind: 'Group', name: 'ml-team' }], 'default'),
    ]);
    const list = '/api/v1/namespaces/default/configmaps';
    expect((await call(emulator, TOKENS.alice, 'GET', list)).status).toBe(200);
    expect((await call(emulator, TOKENS.bob, 'GET', list)).status).toBe(403);
    expect((await call(emulator, TOKENS.alice, 'GET', '/api/v1/namespaces/other/configmaps')).status).toBe(403);
  });

  it('grants a ClusterRole everywhere through a ClusterRoleBinding, and in one namespace through a RoleBinding', async () => {
    const pods = { apiGroups: [''], resources: ['pods'], verbs: ['list'] };
    const emulator = await emulatorWith([
      role('ClusterRole', 'pod-lister', [pods]),
      binding('ClusterRoleBinding', 'alice-pods', { kind: 'ClusterRole', name: 'pod-lister' }, [
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' },
      ]),
      binding(
        'RoleBinding',
        'bob-pods',
        { kind: 'ClusterRole', name: 'pod-lister' },
        [{ kind: 'User', name: 'bob' }],
        'team',
      ),
    ]);
    for (const path of ['/api/v1/pods', '/api/v1/namespaces/default/pods', '/api/v1/namespaces/team/pods']) {
      expect((await call(emulator, TOKENS.alice, 'GET', path)).status, path).toBe(200);
    }
    expect((await call(emulator, TOKENS.bob, 'GET', '/api/v1/namespaces/team/pods')).status).toBe(200);
    expect((await call(emulator, TOKENS.bob, 'GET', '/api/v1/namespaces/default/pods')).status).toBe(403);
    expect((await call(emulator, TOKENS.bob, 'GET', '/api/v1/pods')).status).toBe(403);
    // The objects themselves are stored and listed like any other: ClusterRoles cluster-wide.
    expect(await call(emulator, TOKENS.alice, 'GET', `/apis/${RBAC}/clusterroles`)).toEqual(
      forbidden(
        'clusterroles.rbac.authorization.k8s.io is forbidden: User "alice" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope',
        { group: 'rbac.authorization.k8s.io', kind: 'clusterroles' },
      ),
    );
    const read = await KubernetesObjectApi.makeApiClient(emulator.kubeConfig()).read({
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: 'pod-lister' },
    });
    expect(read).toMatchObject({ kind: 'ClusterRole', metadata: { name: 'pod-lister' }, rules: [pods] });
    expect(read.metadata?.namespace).toBeUndefined();
  });

  it('limits a rule with resourceNames to those names, so never to a list', async () => {
    const emulator = await emulatorWith([
      configMap('allowed'),
      configMap('secret-ish'),
      role(
        'Role',
        'one',
        [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['allowed'], verbs: ['get'] }],
        'default',
      ),
      binding('RoleBinding', 'one', { kind: 'Role', name: 'one' }, [{ kind: 'User', name: 'bob' }], 'default'),
    ]);
    const base = '/api/v1/namespaces/default/configmaps';
    expect(await call(emulator, TOKENS.bob, 'GET', `${base}/allowed`)).toMatchObject({
      status: 200,
      body: { kind: 'ConfigMap' },
    });
    expect((await call(emulator, TOKENS.bob, 'GET', `${base}/secret-ish`)).status).toBe(403);
    expect((await call(emulator, TOKENS.bob, 'GET', base)).status).toBe(403);
  });

  it('matches `*` verbs, groups and resources, and `*/subresource`', async () => {
    const emulator = await emulatorWith([
      role('Role', 'status-reader', [{ apiGroups: ['*'], resources: ['*/status'], verbs: ['get'] }], 'default'),
      role('Role', 'all-apps', [{ apiGroups: ['apps'], resources: ['*'], verbs: ['*'] }], 'default'),
      binding(
        'RoleBinding',
        'bob-status',
        { kind: 'Role', name: 'status-reader' },
        [{ kind: 'User', name: 'bob' }],
        'default',
      ),
      binding(
        'RoleBinding',
        'alice-apps',
        { kind: 'Role', name: 'all-apps' },
        [{ kind: 'User', name: 'alice' }],
        'default',
      ),
    ]);
    const deployment = '/apis/apps/v1/namespaces/default/deployments/web';
    expect((await call(emulator, TOKENS.bob, 'GET', `${deployment}/status`)).status).toBe(404);
    expect((await call(emulator, TOKENS.bob, 'GET', deployment)).status).toBe(403);
    // Authorized, then not found.
    expect((await call(emulator, TOKENS.alice, 'DELETE', deployment)).status).toBe(404);
    expect((await call(emulator, TOKENS.bob, 'DELETE', deployment)).status).toBe(403);
    expect((await call(emulator, TOKENS.alice, 'GET', '/api/v1/namespaces/default/pods')).status).toBe(403);
  });
});

describe('the deployer code path against RBAC', () => {
  const SCENARIO = '2n-8c-16r-interop4';
  const deploy = async (rbac: KubernetesObject[], role: Role = 'serving') => {
    const emulator = await emulatorWith(rbac);
    const kube = createKubeClient(emulator.kubeConfig('default', DEPLOYER));
    const result = await deployScenario(
      { scenario: await loadScenario(SCENARIO), image: IMAGE, runId: 'run-000001', role },
      {
        kube,
        clock: systemClock,
        log: createMemoryLogger(),
        options: { replicas: 1, nodeSelector: false, budgetMs: 15_000, pollMs: 20 },
      },
    );
    return { result, kube, emulator };
  };

  /** The plan's Role without one verb on one resource. */
  const planWithout = (verb: string, resource: string) =>
    planRbac().map((o) =>
      o.kind === 'Role'
        ? {
            ...o,
            rules: (o as { rules: Array<{ resources: string[]; verbs: string[] }> }).rules.map((r) =>
              r.resources.includes(resource) ? { ...r, verbs: r.verbs.filter((v) => v !== verb) } : r,
            ),
          }
        : o,
    );

  it("rolls out with the plan's Role", async () => {
    expect((await deploy(planRbac())).result).toMatchObject({ outcome: 'succeeded', rollout: { phase: 'done' } });
  });

  it('fails with the named 403 when the Role lacks patch on deployments', async () => {
    await expect(deploy(planWithout('patch', 'deployments'))).rejects.toThrow(
      new ModelshipError(
        'applying Deployment default/tfs-server: the Kubernetes API answered 403 Forbidden: deployments.apps "tfs-server" is forbidden: ' +
          `User "${DEPLOYER}" cannot patch resource "deployments" in API group "apps" in the namespace "default"`,
        { hint: 'check the credentials and RBAC of the deployer' },
      ),
    );
  });

  it("tears a candidate down with the plan's Role: its objects and its pods are gone", async () => {
    const { result, kube, emulator } = await deploy(planRbac(), 'candidate');
    expect(result.outcome).toBe('succeeded');
    const selector = `app.kubernetes.io/name=tfs-c-${SCENARIO}`;
    expect(await kube.listPods('default', selector)).toHaveLength(1);
    const deleted = await teardownScenario(kube, { role: 'candidate', scenario: SCENARIO });
    expect(deleted.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      `Service/tfs-c-${SCENARIO}`,
      `Service/tfs-c-${SCENARIO}-headless`,
      `Deployment/tfs-c-${SCENARIO}`,
      `ConfigMap/tfs-c-${SCENARIO}-batching`,
    ]);
    expect(await kube.readDeployment('default', `tfs-c-${SCENARIO}`)).toBeUndefined();
    expect(await kube.readService('default', `tfs-c-${SCENARIO}`)).toBeUndefined();
    await waitUntil('no pod of the candidate', async () =>
      (await kube.listPods('default', selector)).length === 0 ? true : undefined,
    );
    expect(emulator.controller.pods.size).toBe(0);
    // A second teardown finds nothing, and succeeds.
    await teardownScenario(kube, { role: 'candidate', scenario: SCENARIO });
  });

  it('fails with the named 403 when the Role lacks delete on services, and deletes nothing after it', async () => {
    const { kube } = await deploy(planWithout('delete', 'services'), 'candidate');
    await expect(teardownScenario(kube, { role: 'candidate', scenario: SCENARIO })).rejects.toThrow(
      new ModelshipError(
        `deleting Service default/tfs-c-${SCENARIO}: the Kubernetes API answered 403 Forbidden: services "tfs-c-${SCENARIO}" is forbidden: ` +
          `User "${DEPLOYER}" cannot delete resource "services" in API group "" in the namespace "default"`,
        { hint: 'check the credentials and RBAC of the deployer' },
      ),
    );
    expect(await kube.readDeployment('default', `tfs-c-${SCENARIO}`)).toBeDefined();
  });
});
