import type { Firestore } from '@google-cloud/firestore';
import { TransientError } from './errors.js';
import type { PipelineStage } from './messages.js';

/**
 * Pipeline state in Firestore. Two things live here:
 * - idempotency keys (`keys/{key}`): created once, so a redelivered message or a repeated webhook does nothing twice;
 * - runs (`runs/{runId}`): one document per release run with each stage's status and timings.
 */

export type StageStatus = 'running' | 'succeeded' | 'failed' | 'skipped';
export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface StageRecord {
  status: StageStatus;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  /** Small, stage-specific facts: the build id, the image digest, the scenario, the report URL. */
  details?: Record<string, unknown>;
  reason?: string;
}

export interface RunRecord {
  runId: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  repository?: string;
  tag?: string;
  stages: Partial<Record<PipelineStage, StageRecord>>;
  failure?: { stage: PipelineStage; reason: string; detailsUrl?: string };
  result?: Record<string, unknown>;
}

/** The deployment that last rolled out and worked, per namespace: what a failed rollout rolls back to. */
export interface DeploymentRecord {
  scenario: string;
  image: string;
  runId: string;
  /** The applied objects, as JSON (Firestore stores no nested arrays). */
  manifestsJson: string;
  at: string;
}

export type NewRun = Pick<RunRecord, 'runId'> & Partial<RunRecord>;

export interface KeyClaim<T> {
  /** True when this caller created the key: it owns the work. */
  created: boolean;
  /** What the key holds now: this caller's data, or the first caller's. */
  data: T;
}

export interface Store {
  /**
   * Creates `keys/{key}` holding data when it does not exist yet; tells who won. With `run`, the winner's run
   * document is created in the same atomic write (one round trip, and never a run without its key).
   */
  claim<T extends Record<string, unknown>>(key: string, data: T, run?: NewRun): Promise<KeyClaim<T>>;
  /** Replaces a claimed key's data, only if the key still holds `expected` (optimistic, in a transaction). */
  reclaim<T extends Record<string, unknown>>(key: string, expected: T, data: T): Promise<boolean>;
  updateKey(key: string, data: Record<string, unknown>): Promise<void>;
  createRun(run: NewRun): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(limit?: number): Promise<RunRecord[]>;
  startStage(runId: string, stage: PipelineStage, details?: Record<string, unknown>): Promise<void>;
  /** Ends a stage. Given the stage's `startedAt`, it writes without reading first. */
  finishStage(
    runId: string,
    stage: PipelineStage,
    outcome: {
      status: Exclude<StageStatus, 'running'>;
      details?: Record<string, unknown>;
      reason?: string;
      startedAt?: string;
    },
  ): Promise<void>;
  /** Keeps a load test's results with its run (`runs/{runId}/load-tests/{scenario}`). */
  saveLoadTest(runId: string, scenario: string, results: Record<string, unknown>): Promise<void>;
  loadTest(runId: string, scenario: string): Promise<Record<string, unknown> | undefined>;
  lastGoodDeployment(namespace: string): Promise<DeploymentRecord | undefined>;
  recordGoodDeployment(namespace: string, record: DeploymentRecord): Promise<void>;
  /** Marks the run finished: failed with the stage and reason, or succeeded with its result. */
  finishRun(
    runId: string,
    outcome:
      | { status: 'succeeded'; result?: Record<string, unknown> }
      | { status: 'failed'; stage: PipelineStage; reason: string; detailsUrl?: string },
  ): Promise<void>;
}

const ALREADY_EXISTS = 6;

function isAlreadyExists(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === ALREADY_EXISTS;
}

/** Firestore keys may not contain `/`; a key such as `delivery/abc` is stored as `delivery:abc`. */
const keyId = (key: string) => key.replaceAll('/', ':');

async function transient<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof TransientError) throw err;
    throw new TransientError(`Firestore: ${what} failed`, { cause: err });
  }
}

function newRun(run: NewRun, at: string): RunRecord {
  return { status: 'running', createdAt: at, stages: {}, ...run, updatedAt: at };
}

export function createFirestoreStore(db: Firestore, now: () => Date = () => new Date()): Store {
  const keys = db.collection('keys');
  const runs = db.collection('runs');
  const iso = () => now().toISOString();

  return {
    async claim(key, data, run) {
      const ref = keys.doc(keyId(key));
      try {
        const batch = db.batch().create(ref, data);
        if (run) batch.set(runs.doc(run.runId), newRun(run, iso()));
        await batch.commit();
        return { created: true, data };
      } catch (err) {
        if (!isAlreadyExists(err)) throw new TransientError(`Firestore: claiming key ${key} failed`, { cause: err });
      }
      const existing = await transient(`reading key ${key}`, () => ref.get());
      return { created: false, data: (existing.data() ?? data) as typeof data };
    },

    reclaim: (key, expected, data) =>
      transient(`reclaiming key ${key}`, () =>
        db.runTransaction(async (tx) => {
          const ref = keys.doc(keyId(key));
          const snap = await tx.get(ref);
          if (JSON.stringify(snap.data()) !== JSON.stringify(expected)) return false;
          tx.set(ref, data);
          return true;
        }),
      ),

    updateKey: (key, data) =>
      transient(`updating key ${key}`, async () => {
        await keys.doc(keyId(key)).set(data, { merge: true });
      }),

    createRun: (run) =>
      transient(`creating run ${run.runId}`, async () => {
        await runs.doc(run.runId).set(newRun(run, iso()));
      }),

    getRun: (runId) =>
      transient(`reading run ${runId}`, async () => {
        const snap = await runs.doc(runId).get();
        return snap.exists ? (snap.data() as RunRecord) : undefined;
      }),

    listRuns: (limit = 20) =>
      transient('listing runs', async () => {
        const snap = await runs.orderBy('createdAt', 'desc').limit(limit).get();
        return snap.docs.map((d) => d.data() as RunRecord);
      }),

    startStage: (runId, stage, details) =>
      transient(`starting stage ${stage} of run ${runId}`, async () => {
        const at = iso();
        const record: StageRecord = { status: 'running', startedAt: at, ...(details ? { details } : {}) };
        await runs.doc(runId).set({ stages: { [stage]: record }, updatedAt: at }, { merge: true });
      }),

    finishStage: (runId, stage, outcome) =>
      transient(`finishing stage ${stage} of run ${runId}`, async () => {
        const ref = runs.doc(runId);
        const at = now();
        const started =
          outcome.startedAt ?? ((await ref.get()).data() as RunRecord | undefined)?.stages?.[stage]?.startedAt;
        const record: StageRecord = {
          status: outcome.status,
          endedAt: at.toISOString(),
          startedAt: started ?? at.toISOString(),
          durationMs: started ? at.getTime() - Date.parse(started) : 0,
          ...(outcome.details ? { details: outcome.details } : {}),
          ...(outcome.reason ? { reason: outcome.reason } : {}),
        };
        await ref.set({ stages: { [stage]: record }, updatedAt: at.toISOString() }, { merge: true });
      }),

    saveLoadTest: (runId, scenario, results) =>
      transient(`saving the load test of ${scenario} in run ${runId}`, async () => {
        await runs
          .doc(runId)
          .collection('load-tests')
          .doc(scenario)
          .set({ ...results, savedAt: iso() });
      }),

    loadTest: (runId, scenario) =>
      transient(`reading the load test of ${scenario} in run ${runId}`, async () => {
        const snap = await runs.doc(runId).collection('load-tests').doc(scenario).get();
        return snap.exists ? snap.data() : undefined;
      }),

    lastGoodDeployment: (namespace) =>
      transient(`reading the last good deployment of ${namespace}`, async () => {
        const snap = await db.collection('deployments').doc(namespace).get();
        return snap.exists ? (snap.data() as DeploymentRecord) : undefined;
      }),

    recordGoodDeployment: (namespace, record) =>
      transient(`recording the good deployment of ${namespace}`, async () => {
        await db.collection('deployments').doc(namespace).set(record);
      }),

    finishRun: (runId, outcome) =>
      transient(`finishing run ${runId}`, async () => {
        const update =
          outcome.status === 'succeeded'
            ? { status: outcome.status, ...(outcome.result ? { result: outcome.result } : {}) }
            : {
                status: outcome.status,
                failure: {
                  stage: outcome.stage,
                  reason: outcome.reason,
                  ...(outcome.detailsUrl ? { detailsUrl: outcome.detailsUrl } : {}),
                },
              };
        await runs.doc(runId).set({ ...update, updatedAt: iso() }, { merge: true });
      }),
  };
}
