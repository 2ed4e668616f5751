/**
 * A Deployment's status as the Deployment controller writes it, from the counts of its pods: replicas, updated,
 * ready, available and unavailable, and the Available and Progressing conditions. Progressing records each step
 * of a rollout (NewReplicaSetCreated, ReplicaSetUpdated, NewReplicaSetAvailable) and turns False with
 * ProgressDeadlineExceeded when no step was made for progressDeadlineSeconds.
 */

export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

/** What the controller remembers of a Deployment's current rollout between reconciles. */
export interface RolloutTracker {
  hash: string;
  /** The pod counts last seen: a change is progress. */
  signature: string;
  lastProgress: number;
  complete: boolean;
  progressing?: Condition;
  available?: Condition;
}

export interface PodCounts {
  /** The ReplicaSet name of the current template: NAME-HASH. */
  replicaSet: string;
  hash: string;
  generation: number;
  desired: number;
  maxUnavailable: number;
  deadlineMs: number;
  /** Pods not terminating, of any template. */
  total: number;
  old: number;
  updated: number;
  updatedAvailable: number;
  ready: number;
  available: number;
}

type Next = Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>;

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000', '');
const progressing = (status: Next['status'], reason: string, message: string): Next => ({
  type: 'Progressing',
  status,
  reason,
  message,
});

/** Times change only when the condition does; lastTransitionTime only when its status does. */
function condition(previous: Condition | undefined, next: Next, now: number): Condition {
  if (
    previous &&
    previous.status === next.status &&
    previous.reason === next.reason &&
    previous.message === next.message
  ) {
    return previous;
  }
  const transitioned = !previous || previous.status !== next.status;
  return {
    ...next,
    lastUpdateTime: iso(now),
    lastTransitionTime: transitioned ? iso(now) : (previous?.lastTransitionTime ?? iso(now)),
  };
}

export function deploymentStatus(
  previous: RolloutTracker | undefined,
  c: PodCounts,
  now: number,
): { tracker: RolloutTracker; status: Record<string, unknown> } {
  const rs = `ReplicaSet "${c.replicaSet}"`;
  let t = previous;
  if (!t || t.hash !== c.hash) {
    t = {
      hash: c.hash,
      signature: '',
      lastProgress: now,
      complete: false,
      ...(t?.available ? { available: t.available } : {}),
    };
    t.progressing = condition(
      previous?.progressing,
      progressing('True', 'NewReplicaSetCreated', `Created new replica set "${c.replicaSet}"`),
      now,
    );
  } else t = { ...t };
  const signature = `${c.updated}/${c.old}/${c.updatedAvailable}`;
  t.complete ||= c.updated === c.desired && c.total === c.desired && c.updatedAvailable === c.desired;
  let next: Next | undefined;
  if (t.complete) next = progressing('True', 'NewReplicaSetAvailable', `${rs} has successfully progressed.`);
  else if (signature !== t.signature) {
    t.lastProgress = now;
    if (t.signature !== '') next = progressing('True', 'ReplicaSetUpdated', `${rs} is progressing.`);
  } else if (now - t.lastProgress > c.deadlineMs) {
    next = progressing('False', 'ProgressDeadlineExceeded', `${rs} has timed out progressing.`);
  }
  t.signature = signature;
  if (next) t.progressing = condition(t.progressing, next, now);
  const enough = c.available >= c.desired - c.maxUnavailable;
  t.available = condition(
    t.available,
    enough
      ? {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        }
      : {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        },
    now,
  );
  const status = {
    observedGeneration: c.generation,
    replicas: c.total,
    updatedReplicas: c.updated,
    readyReplicas: c.ready,
    availableReplicas: c.available,
    unavailableReplicas: Math.max(0, c.desired - c.available),
    conditions: [t.available, t.progressing].filter((x): x is Condition => x !== undefined),
  };
  return { tracker: t, status };
}
