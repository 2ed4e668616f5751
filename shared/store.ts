import type { Firestore } from '@google-cloud/firestore';
import { TransientError } from './errors.js';
import type { Verdict } from './gate/judge-candidate.js';
import type { ServingParameters } from './measured-deployment.js';
import type { Arm, LoadProfile, LoadTestRequested, LoadTestSummary, PipelineStage } from './messages.js';

/**
 * Pipeline state in Firestore:
 * - idempotency keys (`keys/{key}`): created once, so a redelivered message or a repeated webhook does nothing twice;
 * - runs (`runs/{runId}`): one document per release run with each stage's status and timings, each scenario's state,
 *   and the deadline by which the run must move on (the run watcher fails it after that);
 * - locks (`locks/{name}`): one rollout at a time per serving deployment.
 * Every write to a run goes through a transaction that refuses a run that does not exist or has finished: a late or
 * forged message never creates a run nor overwrites a finished one.
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

/**
 * One candidate of a run, keyed by `armKey` (shared/candidates.ts): a scenario with the release's image, or its
 * baseline (the serving image, same scenario). Deployed beside the serving deployment, then load-tested; `succeeded`
 * means measured. Once every candidate has ended, the gate judges them and the run goes on to its promotion.
 */
export interface ScenarioRecord {
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  /** The scenario's name (the key of a baseline is not). */
  scenario?: string;
  arm?: Arm;
  /** Candidates of one wave are measured side by side; the next wave starts when this one has ended. */
  wave?: number;
  /** The image this run deploys, by digest. */
  image?: string;
  /** The address the deploy recorded: the only target a load test of this run and scenario may have. */
  endpoint?: string;
  /** The serving parameters the deploy applied (the report says what was measured). */
  deployed?: ServingParameters;
  /** Its load test, asked for once every candidate of its wave is deployed or has ended (shared/candidates.ts). */
  loadTest?: LoadTestRequested;
  /** The load test's Cloud Run execution. */
  execution?: string;
  /** The lock this scenario holds (its rollout and load test), released when it ends. */
  lock?: string;
  reason?: string;
  /** The stage it failed in. */
  stage?: PipelineStage;
  /** What its load test measured. */
  figures?: LoadTestSummary;
  reportUrl?: string;
  /** The gate's judgement of a release candidate (docs/gate.md). */
  verdict?: CandidateVerdict;
}

/** The gate's verdict on one candidate, as kept with the run (shared/gate). */
export type CandidateVerdict = Pick<Verdict, 'passed' | 'reasons' | 'deltas'>;

/** What the run did with its candidates: the one now serving, or none and why. */
export interface PromotionRecord {
  status: 'pending' | 'promoted' | 'none' | 'failed';
  scenario: string | null;
  image?: string;
  reason: string;
  requestedBy: 'pipeline' | 'operator';
  at: string;
}

/** What the run waits for next, and until when; past it (plus nothing), the run watcher fails the run. */
export interface Deadline {
  at: string;
  stage: PipelineStage;
  what: string;
  scenario?: string;
  /** The failure already decided and sent to reportResults: if the report does not come, the watcher records it. */
  failure?: RunFailure & { scenario?: string };
}

export interface RunRecord {
  runId: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  repository?: string;
  tag?: string;
  stages: Partial<Record<PipelineStage, StageRecord>>;
  scenarios?: Record<string, ScenarioRecord>;
  deadline?: Deadline;
  /** The load test every candidate of the run gets. */
  profile?: LoadProfile;
  /** What served when the run's candidates were planned: the baselines' image. */
  serving?: { scenario: string; image: string } | null;
  promotion?: PromotionRecord;
  failure?: { stage: PipelineStage; reason: string; detailsUrl?: string; scenario?: string };
  result?: Record<string, unknown>;
  /** The candidates side by side (shared/run-comparison.ts), when the run measured several. */
  comparisonUrl?: string;
}

/** The holder's scenario when a run as a whole holds a lock (its candidates and its promotion). */
export const RUN_HOLDER = '*';

/** Who holds a lock, until when (a holder that died releases it by expiring). */
export interface LockRecord {
  runId: string;
  scenario: string;
  expiresAt: string;
}

export type RunFailure = { stage: PipelineStage; reason: string; detailsUrl?: string };
export type ScenarioOutcome =
  { status: 'succeeded'; result?: Record<string, unknown> } | ({ status: 'failed' } & RunFailure);

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
  /** The runs not finished yet (the run watcher's work list). */
  runningRuns(limit?: number): Promise<RunRecord[]>;
  /**
   * Starts a stage, and with `deadline` sets what the run waits for next. These writes, like every write to a run
   * below, return false and change nothing when the run does not exist or has finished.
   */
  startStage(
    runId: string,
    stage: PipelineStage,
    details?: Record<string, unknown>,
    deadline?: Deadline,
  ): Promise<boolean>;
  /** Ends a stage (the report stage may end after its run). */
  finishStage(
    runId: string,
    stage: PipelineStage,
    outcome: {
      status: Exclude<StageStatus, 'running'>;
      details?: Record<string, unknown>;
      reason?: string;
      startedAt?: string;
      deadline?: Deadline;
      /** Written only while the run still waits on the deadline due at this time (one the caller read earlier). */
      ifDeadlineAt?: string;
    },
  ): Promise<boolean>;
  /** Sets what the run waits for next. */
  expect(runId: string, deadline: Deadline): Promise<boolean>;
  /** Names the run's scenarios (pending), or updates one. */
  setScenarios(
    runId: string,
    scenarios: Record<string, Partial<ScenarioRecord>>,
    deadline?: Deadline,
  ): Promise<boolean>;
  /**
   * Ends one candidate of a running run, keeping what it measured. `allEnded` tells whether every candidate of the
   * run has ended now (and this write ended the last one): the run then goes on to the gate and its promotion.
   * `accepted` is false for a run that does not exist or has finished, or a candidate that has ended already.
   */
  endScenario(
    runId: string,
    key: string,
    outcome: ScenarioOutcome,
    more?: Partial<ScenarioRecord>,
  ): Promise<{ accepted: boolean; allEnded: boolean; run?: RunRecord }>;
  /** Records the promotion: a pending one on a running run, its outcome also on a finished run (manual promotion). */
  recordPromotion(runId: string, promotion: PromotionRecord, deadline?: Deadline): Promise<boolean>;
  /** Sets fields of the run itself (its profile, what served when it started, its comparison page). */
  updateRun(runId: string, fields: Pick<Partial<RunRecord>, 'profile' | 'serving' | 'comparisonUrl'>): Promise<boolean>;
  /** Takes the lock, or returns who holds it (a holder past its expiry loses it). Taking it again renews it. */
  acquireLock(name: string, holder: LockRecord): Promise<{ acquired: true } | { acquired: false; holder: LockRecord }>;
  /** Releases the lock if this run and scenario hold it. */
  releaseLock(name: string, runId: string, scenario: string): Promise<void>;
  /** Keeps a load test's results with its run (`runs/{runId}/load-tests/{scenario}`). */
  saveLoadTest(runId: string, scenario: string, results: Record<string, unknown>): Promise<void>;
  loadTest(runId: string, scenario: string): Promise<Record<string, unknown> | undefined>;
  lastGoodDeployment(namespace: string): Promise<DeploymentRecord | undefined>;
  recordGoodDeployment(namespace: string, record: DeploymentRecord): Promise<void>;
  /** Marks a running run finished: failed with the stage and reason, or succeeded with its result. */
  finishRun(runId: string, outcome: ScenarioOutcome): Promise<boolean>;
}

/** The run fields that finish it. */
function ending(outcome: ScenarioOutcome, scenario?: string): Partial<RunRecord> {
  if (outcome.status === 'succeeded')
    return { status: 'succeeded', ...(outcome.result ? { result: outcome.result } : {}) };
  const { stage, reason, detailsUrl } = outcome;
  return {
    status: 'failed',
    failure: { stage, reason, ...(detailsUrl ? { detailsUrl } : {}), ...(scenario ? { scenario } : {}) },
  };
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
  const locks = db.collection('locks');
  const iso = () => now().toISOString();

  /**
   * A write to a run in a transaction: `update` sees the run and returns the fields to merge, or undefined to leave
   * it. A run that does not exist, or (unless `finished` allows it) has finished, is left as it is.
   */
  const writeRun = (
    what: string,
    runId: string,
    update: (run: RunRecord) => Partial<RunRecord> | Record<string, unknown> | undefined,
    finished = false,
  ) =>
    transient(what, () =>
      db.runTransaction(async (tx) => {
        const ref = runs.doc(runId);
        const run = (await tx.get(ref)).data() as RunRecord | undefined;
        if (!run || (run.status !== 'running' && !finished)) return false;
        const fields = update(run);
        if (!fields) return false;
        tx.set(ref, { ...fields, updatedAt: iso() }, { merge: true });
        return true;
      }),
    );

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

    runningRuns: (limit = 100) =>
      transient('listing running runs', async () => {
        const snap = await runs.where('status', '==', 'running').limit(limit).get();
        return snap.docs.map((d) => d.data() as RunRecord);
      }),

    startStage: (runId, stage, details, deadline) =>
      writeRun(`starting stage ${stage} of run ${runId}`, runId, () => {
        const record: StageRecord = { status: 'running', startedAt: iso(), ...(details ? { details } : {}) };
        return { stages: { [stage]: record }, ...(deadline ? { deadline } : {}) };
      }),

    finishStage: (runId, stage, outcome) =>
      writeRun(
        `finishing stage ${stage} of run ${runId}`,
        runId,
        (run) => {
          if (outcome.ifDeadlineAt !== undefined && run.deadline?.at !== outcome.ifDeadlineAt) return undefined;
          const at = now();
          const started = outcome.startedAt ?? run.stages?.[stage]?.startedAt;
          const record: StageRecord = {
            status: outcome.status,
            endedAt: at.toISOString(),
            startedAt: started ?? at.toISOString(),
            durationMs: started ? at.getTime() - Date.parse(started) : 0,
            ...(outcome.details ? { details: outcome.details } : {}),
            ...(outcome.reason ? { reason: outcome.reason } : {}),
          };
          return { stages: { [stage]: record }, ...(outcome.deadline ? { deadline: outcome.deadline } : {}) };
        },
        stage === 'report',
      ),

    expect: (runId, deadline) => writeRun(`setting the deadline of run ${runId}`, runId, () => ({ deadline })),

    setScenarios: (runId, scenarios, deadline) =>
      writeRun(`recording the scenarios of run ${runId}`, runId, () => ({
        scenarios,
        ...(deadline ? { deadline } : {}),
      })),

    endScenario: async (runId, key, outcome, more = {}) => {
      let allEnded = false;
      let after: RunRecord | undefined;
      const accepted = await writeRun(`ending candidate ${key} of run ${runId}`, runId, (run) => {
        const before = run.scenarios?.[key];
        if (before?.status === 'succeeded' || before?.status === 'failed') return undefined;
        const failure = outcome.status === 'failed' ? { reason: outcome.reason, stage: outcome.stage } : {};
        const mine: ScenarioRecord = { ...before, ...more, status: outcome.status, ...failure };
        const scenarios = { ...run.scenarios, [key]: mine };
        allEnded = !Object.values(scenarios).some((s) => s.status === 'pending' || s.status === 'running');
        after = { ...run, scenarios };
        return { scenarios: { [key]: mine } };
      });
      return { accepted, allEnded: accepted && allEnded, ...(after ? { run: after } : {}) };
    },

    recordPromotion: (runId, promotion, deadline) =>
      writeRun(
        `recording the promotion of run ${runId}`,
        runId,
        (run) =>
          // A finished run takes only an outcome: a pending promotion belongs to a run still going.
          run.status !== 'running' && promotion.status === 'pending'
            ? undefined
            : { promotion, ...(deadline ? { deadline } : {}) },
        true,
      ),

    updateRun: (runId, fields) => writeRun(`updating run ${runId}`, runId, () => fields),

    acquireLock: (name, holder) =>
      transient(`taking lock ${name}`, () =>
        db.runTransaction(async (tx) => {
          const ref = locks.doc(keyId(name));
          const current = (await tx.get(ref)).data() as LockRecord | undefined;
          const mine = current && current.runId === holder.runId && current.scenario === holder.scenario;
          if (current && !mine && Date.parse(current.expiresAt) > now().getTime()) {
            return { acquired: false as const, holder: current };
          }
          tx.set(ref, holder);
          return { acquired: true as const };
        }),
      ),

    releaseLock: (name, runId, scenario) =>
      transient(`releasing lock ${name}`, async () => {
        await db.runTransaction(async (tx) => {
          const ref = locks.doc(keyId(name));
          const current = (await tx.get(ref)).data() as LockRecord | undefined;
          if (current?.runId === runId && current.scenario === scenario) tx.delete(ref);
        });
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

    finishRun: (runId, outcome) => writeRun(`finishing run ${runId}`, runId, () => ending(outcome)),
  };
}
