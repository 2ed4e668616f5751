import { availableParallelism } from 'node:os';
import { ModelshipError } from '../shared/errors.js';
import { systemClock, type Clock } from './clock.js';
import { closedUsersAt, describeClosed } from './models/closed.js';
import { describeOpen, openTargetAt } from './models/open.js';
import type { LoadTestOptions } from './options.js';
import { defaultOutputs } from './outputs/default-outputs.js';
import type { Output, OutputDeps, Tick } from './outputs/output.js';
import { prepareRequest, type PreparedRequest } from './prepare.js';
import { SelfMonitor } from './self-monitor.js';
import { inProcessShard, workerShard, type ShardHandle } from './shard-handle.js';
import type { Drained, FromShard, ShardInit } from './shard-protocol.js';
import { Aggregate } from './stats/aggregate.js';
import { buildSummary, type SummaryInput } from './build-summary.js';
import { composeShard, WHOLE_PLAN, type Shard } from './shard-split.js';
import type { Summary } from './summary.js';

export interface LoadTestDeps {
  /** Builds the request from the model's signature and checks one Predict; tests pass a fixed request. */
  readonly prepare?: (options: LoadTestOptions, log?: (line: string) => void) => Promise<PreparedRequest>;
  /** Where the waits for a target not reachable yet are logged; default: stderr. */
  readonly log?: (line: string) => void;
  /** Default: console, plus json, csv and report when --out is set. */
  readonly outputs?: readonly Output[];
  readonly outputDeps?: Partial<OutputDeps>;
  readonly clock?: Clock;
  /** Aborts the run early (Ctrl-C); the summary says it was stopped. */
  readonly signal?: AbortSignal;
  /** Extra node flags for worker threads (tests load TypeScript sources with a loader). */
  readonly workerExecArgv?: string[];
  /** This process's share of the plan when the test runs as several Cloud Run tasks; default: the whole plan. */
  readonly task?: Shard;
  /**
   * The start instant, once every thread is ready (connected), given when that was: several tasks agree on one
   * (task-barrier.ts). Default: 20 ms from now.
   */
  readonly startAt?: (readyMs: number) => Promise<number>;
}

const FLUSH_WAIT_MS = 2000;

/** Runs one load test and returns its summary. Throws a ModelshipError (exit code 2) when it cannot run. */
export async function runLoadTest(options: LoadTestOptions, deps: LoadTestDeps = {}): Promise<Summary> {
  const outputs = deps.outputs ?? defaultOutputs(options, deps.outputDeps);
  const summary = buildSummary(await runLoad(options, { ...deps, outputs }));
  for (const output of outputs) await output.stop(summary);
  return summary;
}

/**
 * Runs the load (this process's share of it) and returns what was measured, unsummarised: windows merge exactly,
 * so a lead task can add other tasks' to it. The outputs are started and fed every second, not stopped.
 */
export async function runLoad(
  options: LoadTestOptions,
  deps: LoadTestDeps & { readonly outputs: readonly Output[] },
): Promise<SummaryInput> {
  const clock = deps.clock ?? systemClock;
  const request = await (deps.prepare ?? prepareRequest)(options, deps.log);
  const { load } = options;
  const description = load.kind === 'open' ? describeOpen(load) : describeClosed(load);
  const targetAt = load.kind === 'open' ? openTargetAt(load) : closedUsersAt(load);
  const count = Math.max(1, options.workers);
  const shards: { handle: ShardHandle; done: boolean; reply?: (drained?: Drained) => void }[] = [];
  const aggregate = new Aggregate();
  const monitor = new SelfMonitor(options.workers, availableParallelism());
  const take = (drained: Drained): void => {
    aggregate.add(drained);
    monitor.loopDelay(drained.loopDelay);
  };

  let failed: (err: ModelshipError) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => (failed = reject));
  let ready = 0;
  let allReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => (allReady = resolve));
  let allDone: () => void = () => undefined;
  const donePromise = new Promise<void>((resolve) => (allDone = resolve));

  for (let index = 0; index < count; index += 1) {
    const init: ShardInit = {
      load,
      shard: composeShard(deps.task ?? WHOLE_PLAN, { index, count }),
      warmupMs: options.warmupMs,
      sender: {
        ...request,
        protocol: options.protocol,
        target: options.target,
        timeoutMs: options.timeoutMs,
        h2: options.h2,
        channels: Math.floor(options.channels / count) + (index < options.channels % count ? 1 : 0) || 1,
      },
    };
    const handle = options.workers === 0 ? inProcessShard(init) : workerShard(init, deps.workerExecArgv);
    const shard: (typeof shards)[number] = { handle, done: false };
    shards.push(shard);
    handle.onMessage((message: FromShard) => {
      if (message.type === 'ready' && ++ready === count) allReady();
      else if (message.type === 'failed')
        failed(new ModelshipError(message.message, message.hint ? { hint: message.hint } : {}));
      else if (message.type === 'flushed' || message.type === 'done') {
        take(message.drained);
        shard.reply?.(message.drained);
        shard.reply = undefined;
        if (message.type === 'done') {
          shard.done = true;
          if (shards.every((s) => s.done)) allDone();
        }
      }
    });
  }
  void failure.catch(() => undefined);
  const stopAll = (): Promise<unknown> => Promise.all(shards.map((s) => s.handle.terminate()));
  let startMs: number;
  try {
    await Promise.race([readyPromise, failure]);
    startMs = deps.startAt ? await deps.startAt(clock.now()) : clock.now() + 20;
  } catch (err) {
    await stopAll();
    throw err;
  }

  const { outputs } = deps;
  const startedAt = new Date(startMs).toISOString();
  for (const s of shards) s.handle.send({ type: 'go', startMs });
  for (const output of outputs) output.start({ options, description, startMs });

  let stopped: string | null = null;
  const stop = (reason: string): void => {
    if (stopped !== null) return;
    stopped = reason;
    for (const s of shards) if (!s.done) s.handle.send({ type: 'stop' });
  };
  deps.signal?.addEventListener('abort', () => stop('interrupted'), { once: true });

  const flush = (): Promise<unknown> => {
    const waits = shards
      .filter((s) => !s.done)
      .map(
        (s) => new Promise<Drained | undefined>((resolve) => ((s.reply = resolve), s.handle.send({ type: 'flush' }))),
      );
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, FLUSH_WAIT_MS).unref());
    return Promise.race([Promise.all(waits), timeout]);
  };
  const failureRatioPassed = (): string | undefined => {
    const { requests, failures } = aggregate.total;
    const ratio = requests ? failures / requests : 0;
    if (options.stopOnFailureRatio === undefined || ratio <= options.stopOnFailureRatio) return undefined;
    return `the failure ratio ${ratio.toFixed(3)} passed --stop-on-failure-ratio ${options.stopOnFailureRatio}`;
  };
  const ticker = new AbortController();
  const ticks = (async () => {
    for (let second = 1; !ticker.signal.aborted; second += 1) {
      await clock.sleepUntil(startMs + second * 1000, ticker.signal);
      if (ticker.signal.aborted) break;
      await flush();
      const tick: Tick = {
        second: second - 1,
        elapsedMs: clock.now() - startMs,
        window: aggregate.windows.get(second - 1),
        total: aggregate.total,
        target: targetAt((second - 1) * 1000),
        cpuPercent: monitor.tick(),
      };
      for (const output of outputs) output.add(tick);
      const passed = failureRatioPassed();
      if (passed) stop(passed);
    }
  })();

  try {
    await Promise.race([donePromise, failure]);
  } finally {
    ticker.abort();
    await ticks;
    await stopAll();
  }
  // A run shorter than a second, or whose failures came in its last second, was never checked by a tick.
  const passedAtEnd = failureRatioPassed();
  stopped ??= passedAtEnd === undefined ? null : `${passedAtEnd} at the end of the run`;
  const endMs = clock.now();
  return {
    options,
    description,
    aggregate,
    targetAt,
    startMs,
    endMs,
    startedAt,
    stopped,
    health: monitor,
    ...(request.modelVersion !== undefined ? { modelVersion: request.modelVersion } : {}),
  };
}
