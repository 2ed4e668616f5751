import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../../../shared/deploy/index.js';
import {
  processContainer,
  type ContainerExit,
  type PodLauncher,
} from '../../../../../local/emulators/kubernetes/index.js';
import { waitUntil } from '../../../../../local/wait-until.js';
import { rawCall, testDeployment, useEmulator } from './emulator-fixture.js';
import { fakeLauncher, type FakeBehaviour } from './fake-launcher.js';

const start = useEmulator();

/** The fixture Deployment named "tfs", labelled app=tfs. */
function deployment(
  image: string,
  replicas: number,
  extra: { progressDeadlineSeconds?: number; mount?: boolean } = {},
) {
  const d = testDeployment('tfs', image, replicas);
  d.spec.progressDeadlineSeconds = extra.progressDeadlineSeconds ?? 600;
  if (extra.mount) {
    d.spec.template.spec.volumes = [{ name: 'conf', configMap: { name: 'conf' } }];
    const container = d.spec.template.spec.containers[0];
    if (container) container.volumeMounts = [{ name: 'conf', mountPath: '/etc/conf' }];
  }
  return d;
}

const status = async (kube: KubeClient) => (await kube.readDeployment('default', 'tfs'))?.status;
const progressing = (d: V1Deployment['status']) => d?.conditions?.find((c) => c.type === 'Progressing');

describe('the Deployment controller', () => {
  it('replaces pods one at a time with maxSurge 0 / maxUnavailable 1, and reports the rollout as kubectl reads it', async () => {
    const behaviour: Record<string, FakeBehaviour> = { v1: { readyAfterMs: 20 }, v2: { readyAfterMs: 20 } };
    const { kube, emulator } = await start({
      launcher: fakeLauncher((l) => behaviour[l.image] ?? {}).launcher,
      timeScale: 0.01,
    });
    await kube.apply([deployment('v1', 3)]);
    await waitUntil('v1 available', async () => ((await status(kube))?.availableReplicas === 3 ? true : undefined));

    let maxPods = 0;
    let minAvailable = Infinity;
    const unwatch = emulator.store.onChange(() => {
      const pods = emulator.store.list('v1', 'Pod', 'default').filter((p) => !p.metadata.deletionTimestamp);
      maxPods = Math.max(maxPods, pods.length);
      const ready = pods.filter((p) => (p.status as V1Pod['status'])?.conditions?.[0]?.status === 'True').length;
      minAvailable = Math.min(minAvailable, ready);
    });
    await kube.apply([deployment('v2', 3)]);
    await waitUntil(
      'v2 rolled out',
      async () => (progressing(await status(kube))?.reason === 'NewReplicaSetAvailable' ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );
    unwatch();
    expect(maxPods).toBeLessThanOrEqual(3);
    expect(minAvailable).toBeGreaterThanOrEqual(2);
    expect(await status(kube)).toMatchObject({
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      unavailableReplicas: 0,
    });
    const pods = await kube.listPods('default', 'app=tfs');
    expect(pods.map((p) => p.spec?.containers[0]?.image)).toEqual(['v2', 'v2', 'v2']);
    expect(new Set(pods.map((p) => p.metadata?.labels?.['pod-template-hash'])).size).toBe(1);
  });

  it('turns Progressing to ProgressDeadlineExceeded when pods never become ready', async () => {
    const { kube } = await start({
      launcher: fakeLauncher(() => ({ readyAfterMs: 'never' })).launcher,
      timeScale: 0.01,
    });
    await kube.apply([deployment('v1', 1, { progressDeadlineSeconds: 30 })]);
    const exceeded = await waitUntil('the deadline', async () => {
      const c = progressing(await status(kube));
      return c?.reason === 'ProgressDeadlineExceeded' ? c : undefined;
    });
    expect(exceeded).toMatchObject({
      status: 'False',
      message: expect.stringMatching(/^ReplicaSet "tfs-\w+" has timed out progressing\.$/),
    });
    expect(await status(kube)).toMatchObject({
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 0,
      availableReplicas: 0,
      // maxUnavailable 1 of 1 replica: zero available is still "minimum availability", as in Kubernetes.
      conditions: expect.arrayContaining([
        expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }),
      ]),
    });
  });

  it('restarts a crashing container with back-off and shows CrashLoopBackOff', async () => {
    const { kube } = await start({ launcher: fakeLauncher(() => ({ crashAfterMs: 5 })).launcher, timeScale: 0.01 });
    await kube.apply([deployment('v1', 1)]);
    const container = await waitUntil('two restarts', async () => {
      const c = (await kube.listPods('default', 'app=tfs'))[0]?.status?.containerStatuses?.[0];
      return c && c.restartCount >= 2 && c.state?.waiting ? c : undefined;
    });
    expect(container.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(container.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it('projects ConfigMap volumes into files, waiting for the ConfigMap', async () => {
    const fake = fakeLauncher(() => ({}));
    const { kube } = await start({ launcher: fake.launcher, timeScale: 0.01 });
    await kube.apply([deployment('v1', 1, { mount: true })]);
    const waiting = await waitUntil('the pod to wait', async () => {
      const c = (await kube.listPods('default', 'app=tfs'))[0]?.status?.containerStatuses?.[0];
      return c?.state?.waiting?.message?.includes('configmap') ? c.state.waiting : undefined;
    });
    expect(waiting).toEqual({
      reason: 'ContainerCreating',
      message: 'MountVolume.SetUp failed for volume "conf": configmap "conf" not found',
    });
    await kube.apply([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'conf', namespace: 'default' },
        data: { 'a.txt': 'hello' },
      } as never,
    ]);
    const launch = await waitUntil('the launch', async () => fake.launches[0]);
    expect(launch.mounts).toHaveLength(1);
    expect(launch.mounts[0]?.mountPath).toBe('/etc/conf');
    expect(readFileSync(join(launch.mounts[0]?.hostPath ?? '', 'a.txt'), 'utf8')).toBe('hello');
  });

  it('stops every process it started, by PID, even one that ignores SIGTERM', async () => {
    const exits: Array<Promise<ContainerExit>> = [];
    const launcher: PodLauncher = async () => {
      const stubborn = exits.length === 0;
      const script = stubborn
        ? "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"
        : 'setInterval(() => {}, 1000)';
      const container = processContainer(spawn(process.execPath, ['-e', script], { stdio: 'ignore' }), new Map());
      exits.push(container.exited);
      return container;
    };
    const { kube, emulator } = await start({ launcher, timeScale: 0.01 });
    const plain = deployment('v1', 2);
    delete plain.spec.template.spec.containers[0]?.readinessProbe;
    await kube.apply([plain]);
    const pids = await waitUntil('two processes', async () =>
      emulator.pids().length === 2 ? emulator.pids() : undefined,
    );
    await emulator.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect((await Promise.all(exits)).every((e) => e.signal === 'SIGKILL' || e.signal === 'SIGTERM')).toBe(true);
  });

  it('stops the processes of a deleted Deployment, and only those', async () => {
    const launcher: PodLauncher = async () =>
      processContainer(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }), new Map());
    const { kube, emulator } = await start({ launcher, timeScale: 0.01 });
    const plain = (name: string) => {
      const d = testDeployment(name, 'img', 2);
      delete d.spec.template.spec.containers[0]?.readinessProbe;
      return d;
    };
    await kube.apply([plain('gone'), plain('kept')]);
    const pidsOf = async (name: string) => {
      const pods = await kube.listPods('default', `app=${name}`);
      const pids = [...emulator.controller.pods.values()].filter((p) => p.owner.startsWith(`default/${name}/`));
      return pods.length === 2 && pids.every((p) => p.pid !== undefined) ? pids.map((p) => p.pid ?? 0) : undefined;
    };
    const gone = await waitUntil('two processes of "gone"', () => pidsOf('gone'));
    const kept = await waitUntil('two processes of "kept"', () => pidsOf('kept'));

    await kube.delete([plain('gone')]);
    expect(await kube.readDeployment('default', 'gone')).toBeUndefined();
    await waitUntil('the pods of "gone" to be removed', async () =>
      (await kube.listPods('default', 'app=gone')).length === 0 ? true : undefined,
    );
    for (const pid of gone) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    for (const pid of kept) expect(process.kill(pid, 0)).toBe(true);
    expect((await kube.listPods('default', 'app=kept')).map((p) => p.metadata?.deletionTimestamp)).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('terminates a deleted pod gracefully, answering it with its deletionTimestamp, and its Deployment makes another', async () => {
    const { kube, emulator } = await start({ launcher: fakeLauncher().launcher, timeScale: 0.01 });
    await kube.apply([deployment('v1', 1)]);
    const first = await waitUntil('a ready pod', async () =>
      (await status(kube))?.readyReplicas === 1 ? (await kube.listPods('default', 'app=tfs'))[0] : undefined,
    );
    const name = first.metadata?.name ?? '';
    const token = emulator.kubeConfig().getCurrentUser()?.token;
    const answer = await rawCall<V1Pod>(emulator, token, 'DELETE', `/api/v1/namespaces/default/pods/${name}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ kind: 'Pod', metadata: { name, deletionTimestamp: expect.any(String) } });
    const replacement = await waitUntil('another ready pod', async () => {
      const pods = await kube.listPods('default', 'app=tfs');
      return pods.length === 1 && pods[0]?.metadata?.name !== name && (await status(kube))?.readyReplicas === 1
        ? pods[0]
        : undefined;
    });
    expect(replacement.metadata?.deletionTimestamp).toBeUndefined();
  });
});
