import type { JobRunner } from './gcp/cloud-run.js';
import type { Logger } from './log.js';
import type { LoadProfile, LoadTestRequested } from './messages.js';
import { runOnce } from './idempotency.js';
import type { Deadlines } from './deadline.js';
import { errorMessage, MessageError } from './errors.js';
import { runningRun } from './run-guard.js';
import type { Store } from './store.js';
import { armKey } from './arm.js';
import { measuredDeployment } from './measured-deployment.js';
import { FUNCTIONS } from './wiring.js';

export interface LaunchDeps {
  store: Store;
  jobs: JobRunner;
  log: Logger;
  deadlines: Deadlines;
}

/**
 * Room the job gets beyond the test's own duration: start-up, up to 120 s waiting for Direct VPC egress to reach
 * the target (loadtest's --connect-timeout), the pre-flight Predict, writing the reports.
 */
export const JOB_MARGIN_S = 300;
/** A capacity search's probes at most (loadtest's --max-probes default), each with room to start and drain. */
const CAPACITY_PROBES = 8;
const PROBE_MARGIN_S = 30;

/** The seed's request: a [1,224,224,3] float32 PredictRequest. */
export const SEED_REQUEST_BYTES = 602_186;
/** One load-test task's vCPUs: the job's default (`loadTest.cpu`, operator/gcp/config-schema.ts). */
const TASK_VCPU = 4;
/**
 * The load tester's CPU per request, measured (docs/loadtest.md, "Per-task limits"): the marginal user + system CPU
 * of `modelship loadtest --rate R --workers 1` between rates, 13 µs for a 45-byte request and 200 µs for the seed's
 * 602,186 bytes (the kernel copying the bytes is most of it): linear in between.
 */
const CPU_US = { small: 13, seed: 200 };
/** Cloud Run's network throughput per instance: "up to 1 Gbps" (cloud.google.com/run/docs/configuring/vpc-direct-vpc). */
const NIC_BYTES_PER_S = 125_000_000;
/** HTTP/2 and gRPC framing a request adds on the wire (HEADERS, DATA frame and message headers). */
const FRAMING_BYTES = 64;
/**
 * Half of each: a generator at half its CPU keeps its schedule (no late requests, no event-loop delay) and one at
 * half its network interface does not queue its sends, so its latencies are the server's.
 */
const UTILISATION = 0.5;

/** Requests/s one task holds with requests of this size: the lower of its CPU's and its network's share. */
export function ratePerTask(requestBytes: number): number {
  const cpuUs = CPU_US.small + ((CPU_US.seed - CPU_US.small) * requestBytes) / SEED_REQUEST_BYTES;
  const byCpu = (UTILISATION * TASK_VCPU * 1e6) / cpuUs;
  const byNetwork = (UTILISATION * NIC_BYTES_PER_S) / (requestBytes + FRAMING_BYTES);
  return Math.floor(Math.min(byCpu, byNetwork));
}

/**
 * A closed-model user has one request in flight: it sends at most 1 / (latency + think time). The latency is not
 * known before the test; this floor (a Predict's round trip inside one region's VPC, the 602 KB request on the wire
 * included) bounds a user's rate from above, so the rule errs towards more tasks.
 */
export const USER_LATENCY_FLOOR_MS = 10;
/**
 * At most this many tasks. Cloud Run runs an execution's tasks all at once when the job's parallelism is unset (0:
 * "the maximum possible value", which its docs say varies with the CPUs in use and the project's quota); the tasks
 * meet at a barrier, so every one of them must run at the same time: 100 tasks are 400 vCPU, within a regional
 * quota one asks for, far below Cloud Run's own bound on an execution's tasks.
 */
export const MAX_TASKS = 100;

/**
 * How many Cloud Run tasks one load test runs as: its rate (or its users' highest possible rate) over what one task
 * holds with its requests (ratePerTask), at least 1, at most the profile's maxTasks and MAX_TASKS. A capacity search stays one task: each probe's rate is decided from the
 * last probe's result, one after another.
 */
export function loadTestTasks(p: LoadProfile): number {
  if (p.capacity) return 1;
  const rate = p.rate ?? (p.users ?? 1) * (1000 / ((p.thinkTimeMs ?? 0) + USER_LATENCY_FLOOR_MS));
  const most = Math.min(MAX_TASKS, p.maxTasks ?? MAX_TASKS);
  return Math.min(most, Math.max(1, Math.ceil(rate / ratePerTask(p.requestBytes ?? SEED_REQUEST_BYTES))));
}

/** The longest the load test itself may take: the fixed duration, or every probe of a capacity search. */
export function loadTestSeconds(p: LoadProfile): number {
  return p.capacity ? CAPACITY_PROBES * (p.capacity.probeS + PROBE_MARGIN_S) : p.durationS;
}

/** The `modelship loadtest` command line of a load test request: the Cloud Run job's container args. */
export function loadTestArgs(m: LoadTestRequested): string[] {
  const p = m.profile;
  const args = ['--target', m.target, '--model', m.modelName, '--scenario', m.scenario];
  const c = p.capacity;
  if (c) {
    // The search sets each probe's rate, from --rate; --duration is one probe, its first fifth the warmup.
    args.push('--find-capacity', '--p99-bound', `${c.p99BoundMs}ms`, '--errors-bound', String(c.errorsBound));
    args.push('--rate', String(c.startRps), '--duration', `${c.probeS}s`, '--warmup', `${c.probeS / 5}s`);
    args.push('--max-probes', String(CAPACITY_PROBES));
  } else if (p.rate !== undefined) args.push('--duration', `${p.durationS}s`, '--rate', String(p.rate));
  else {
    args.push(
      '--duration',
      `${p.durationS}s`,
      '--users',
      String(p.users ?? 1),
      '--spawn-rate',
      String(p.spawnRate ?? 1),
    );
    args.push('--think-time', `${p.thinkTimeMs ?? 0}ms`);
  }
  for (const t of p.thresholds) args.push('--threshold', t);
  return [...args, '--progress', 'log'];
}

/**
 * `load-test-requested` → one Cloud Run job execution per run and scenario. The execution is claimed first, so a
 * redelivered request launches nothing new; a launch that failed is retried by the redelivery Pub/Sub makes.
 */
export async function launchLoadTest(m: LoadTestRequested, deps: LaunchDeps): Promise<void> {
  const key = armKey(m.scenario, m.arm);
  const log = deps.log.child({ runId: m.runId, scenario: key });
  const stage = { scenario: key, target: m.target };
  const run = await runningRun(deps.store, m.runId, `LoadTestRequested (${key})`, log);
  if (!run) return;
  // Only what this run's deploy recorded: a forged request must not aim the job at another address (or image).
  const deployed = run.scenarios?.[key];
  if (!deployed?.endpoint || deployed.endpoint !== m.target || deployed.image !== m.image) {
    throw new MessageError(
      `LoadTestRequested for run ${m.runId} (${key}) names target ${m.target} and image ${m.image}, but the deploy recorded ${deployed?.endpoint ? `${deployed.endpoint} and ${deployed.image}` : 'no endpoint'}: refused`,
    );
  }
  const timeoutS = loadTestSeconds(m.profile) + JOB_MARGIN_S;
  const claim = { staleMs: FUNCTIONS.launchLoadTest.timeoutS * 1000 };
  try {
    const outcome = await runOnce(deps.store, `load-test/${m.runId}/${key}`, claim, async () => {
      await deps.store.startStage(m.runId, 'load-test', stage);
      const { execution } = await deps.jobs.run({
        args: loadTestArgs(m),
        env: {
          MODELSHIP_RUN_ID: m.runId,
          MODELSHIP_SERVING_IMAGE: m.image,
          // What the report says was measured: the scenario as deployed, the image, the model, the run, the release.
          MODELSHIP_DEPLOYMENT: JSON.stringify(measuredDeployment(run, key, m.modelName)),
          ...(m.arm === 'baseline' ? { MODELSHIP_ARM: m.arm } : {}),
        },
        taskCount: loadTestTasks(m.profile),
        timeoutS,
      });
      await deps.store.setScenarios(m.runId, { [key]: { execution } });
      await deps.store.startStage(
        m.runId,
        'load-test',
        { ...stage, execution },
        deps.deadlines.after(timeoutS, 'load-test', `the load-test job ${execution} to report`, key),
      );
      return { execution };
    });
    if (outcome.duplicate) log.info('duplicate load test request ignored', { execution: outcome.record.execution });
    else log.info('load test launched', { execution: outcome.result.execution });
  } catch (err) {
    log.error('load test not launched; will be retried', { error: errorMessage(err) });
    throw err;
  }
}
