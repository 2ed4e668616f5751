import type { V1Deployment, V1Pod } from '@kubernetes/client-node';

/**
 * Whether a Deployment's rollout has finished, is under way or has failed: `kubectl rollout status`'s rule on the
 * Deployment's status, plus a faster verdict from the pods themselves when a container of the new rollout is
 * crash-looping or cannot start (the progress deadline would only say so minutes later).
 */

export type RolloutState =
  | { phase: 'done'; message: string }
  | { phase: 'progressing'; message: string }
  | { phase: 'failed'; reason: string; message: string };

/** Waiting reasons from which a container does not recover by itself. */
const STUCK_REASONS = new Set([
  'CrashLoopBackOff',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

export function deploymentRollout(d: V1Deployment): RolloutState {
  const name = d.metadata?.name ?? '?';
  const status = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { phase: 'progressing', message: `waiting for deployment "${name}" spec update to be observed` };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      phase: 'failed',
      reason: 'ProgressDeadlineExceeded',
      message: `deployment "${name}" exceeded its progress deadline: ${progressing.message ?? ''}`.trim(),
    };
  }
  const replicas = d.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const waiting = `waiting for deployment "${name}" rollout to finish`;
  if (updated < replicas) {
    return {
      phase: 'progressing',
      message: `${waiting}: ${updated} out of ${replicas} new replicas have been updated`,
    };
  }
  if (total > updated) {
    return { phase: 'progressing', message: `${waiting}: ${total - updated} old replicas are pending termination` };
  }
  if (available < updated) {
    return { phase: 'progressing', message: `${waiting}: ${available} of ${updated} updated replicas are available` };
  }
  return { phase: 'done', message: `deployment "${name}" successfully rolled out` };
}

/** The first container of the pods created at or after `since` whose waiting reason `accept`s, described. */
function waitingContainer(
  pods: readonly V1Pod[],
  since: Date,
  accept: (reason: string, message: string | undefined) => boolean,
): { reason: string; message: string } | undefined {
  // creationTimestamp has whole seconds.
  const sinceSecond = Math.floor(since.getTime() / 1000) * 1000;
  for (const pod of pods) {
    const created = pod.metadata?.creationTimestamp;
    if (pod.metadata?.deletionTimestamp || !created || new Date(created).getTime() < sinceSecond) continue;
    for (const c of pod.status?.containerStatuses ?? []) {
      const reason = c.state?.waiting?.reason;
      if (reason && accept(reason, c.state?.waiting?.message)) {
        const last = c.lastState?.terminated;
        const why = c.state?.waiting?.message ? `: ${c.state.waiting.message}` : '';
        const restarts = c.restartCount > 0 ? ` after ${c.restartCount} restarts` : '';
        const exit = last ? `; last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : '';
        return {
          reason,
          message: `pod ${pod.metadata?.name ?? '?'} container ${c.name} is in ${reason}${restarts}${why}${exit}`,
        };
      }
    }
  }
  return undefined;
}

/** A container stuck in a state it does not leave by itself, among pods created at or after `since`. */
export function stuckPod(pods: readonly V1Pod[], since: Date): RolloutState | undefined {
  const stuck = waitingContainer(pods, since, (reason) => STUCK_REASONS.has(reason));
  return stuck && { phase: 'failed', ...stuck };
}

/**
 * Why a rollout that ran out of time made no progress, when a pod says so (an image still being pulled, a container
 * that cannot start): the progress deadline alone names no cause.
 */
export function whyNoProgress(pods: readonly V1Pod[], since: Date): string | undefined {
  return waitingContainer(pods, since, (_, message) => message !== undefined)?.message;
}
