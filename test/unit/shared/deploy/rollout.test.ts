import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { deploymentRollout, stuckPod, whyNoProgress } from '../../../../shared/deploy/index.js';

function deployment(generation: number, status: V1Deployment['status'], replicas = 2): V1Deployment {
  return { metadata: { name: 'tfs-server', generation }, spec: { replicas, selector: {}, template: {} }, status };
}

describe('deploymentRollout (the kubectl rollout status rule)', () => {
  it.each([
    [
      'an unobserved spec',
      deployment(2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
      'progressing',
      'waiting for deployment "tfs-server" spec update to be observed',
    ],
    [
      'too few updated',
      deployment(1, { observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 1 }),
      'progressing',
      'waiting for deployment "tfs-server" rollout to finish: 1 out of 2 new replicas have been updated',
    ],
    [
      'old pods left',
      deployment(1, { observedGeneration: 1, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }),
      'progressing',
      'waiting for deployment "tfs-server" rollout to finish: 1 old replicas are pending termination',
    ],
    [
      'updated but not available',
      deployment(1, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }),
      'progressing',
      'waiting for deployment "tfs-server" rollout to finish: 1 of 2 updated replicas are available',
    ],
    [
      'done',
      deployment(3, { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
      'done',
      'deployment "tfs-server" successfully rolled out',
    ],
    [
      'no status yet',
      deployment(1, undefined),
      'progressing',
      'waiting for deployment "tfs-server" spec update to be observed',
    ],
  ])('%s', (_, d, phase, message) => {
    expect(deploymentRollout(d)).toEqual({ phase, message });
  });

  it('fails on ProgressDeadlineExceeded, whatever the counts', () => {
    const d = deployment(1, {
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 1,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "tfs-server-abc" has timed out progressing.',
        },
      ],
    });
    expect(deploymentRollout(d)).toEqual({
      phase: 'failed',
      reason: 'ProgressDeadlineExceeded',
      message:
        'deployment "tfs-server" exceeded its progress deadline: ReplicaSet "tfs-server-abc" has timed out progressing.',
    });
  });
});

describe('stuckPod', () => {
  const since = new Date('2025-01-01T10:00:00.500Z');
  const pod = (name: string, created: string, waiting?: string, deleting = false, message?: string): V1Pod => ({
    metadata: {
      name,
      creationTimestamp: new Date(created),
      ...(deleting ? { deletionTimestamp: new Date(created) } : {}),
    },
    status: {
      containerStatuses: [
        {
          name: 'tfs-k8s',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 3,
          ...(waiting ? { state: { waiting: { reason: waiting, ...(message ? { message } : {}) } } } : {}),
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        },
      ],
    },
  });

  it('finds a crash-looping container among the pods of this rollout (whole-second creation times)', () => {
    expect(stuckPod([pod('a', '2025-01-01T10:00:00Z', 'CrashLoopBackOff')], since)).toEqual({
      phase: 'failed',
      reason: 'CrashLoopBackOff',
      message: 'pod a container tfs-k8s is in CrashLoopBackOff after 3 restarts; last exit code 1 (Error)',
    });
  });

  it('ignores older pods, terminating pods and containers that are only starting', () => {
    expect(
      stuckPod(
        [
          pod('old', '2025-01-01T09:59:59Z', 'CrashLoopBackOff'),
          pod('going', '2025-01-01T10:00:01Z', 'ImagePullBackOff', true),
          pod('starting', '2025-01-01T10:00:01Z', 'ContainerCreating'),
        ],
        since,
      ),
    ).toBeUndefined();
  });

  it('says why a rollout that ran out of time made no progress, from a pod that says why', () => {
    const pulling = 'failed to pull image "r/x@sha256:00": manifest unknown';
    expect(
      whyNoProgress(
        [
          pod('old', '2025-01-01T09:59:59Z', 'ErrImagePull', false, 'an older rollout'),
          pod('mute', '2025-01-01T10:00:01Z', 'ContainerCreating'),
          pod('new', '2025-01-01T10:00:01Z', 'ErrImagePull', false, pulling),
        ],
        since,
      ),
    ).toBe(`pod new container tfs-k8s is in ErrImagePull after 3 restarts: ${pulling}; last exit code 1 (Error)`);
    expect(whyNoProgress([pod('mute', '2025-01-01T10:00:01Z', 'ContainerCreating')], since)).toBeUndefined();
  });
});
