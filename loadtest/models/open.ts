import { setImmediate } from 'node:timers/promises';
import { requestSample, type Emit } from '../sample.js';
import type { ModelContext } from './context.js';
import { InFlight } from './in-flight.js';
import { Schedule, type Stage } from './schedule.js';

/** Open model: requests leave on schedule whether or not replies came back (wrk2, k6 arrival rate). */
export interface OpenConfig {
  readonly kind: 'open';
  readonly stages: readonly Stage[];
  /** Requests in flight at most, over all threads; a due request beyond it is dropped and counted. */
  readonly maxInFlight: number;
}

/** Requests sent back to back, behind schedule, before the loop yields to the event loop. */
const BURST = 64;

/** A request sent later than this after its intended time is counted as late: the generator fell behind. */
export const LATE_AFTER_MS = 10;

export function validateOpen(config: OpenConfig): string[] {
  const errors: string[] = [];
  if (config.stages.length === 0) errors.push('open load: expected --rate or at least one stage, found none');
  config.stages.forEach((stage, i) => {
    if (!Number.isFinite(stage.rate) || stage.rate < 0)
      errors.push(`stage ${i + 1}: expected a rate >= 0 req/s, found ${stage.rate}`);
    if (!Number.isFinite(stage.durationMs) || stage.durationMs < 0)
      errors.push(`stage ${i + 1}: expected a duration >= 0, found ${stage.durationMs} ms`);
  });
  const schedule = new Schedule(config.stages);
  if (errors.length === 0 && (schedule.totalMs <= 0 || schedule.totalRequests === 0))
    errors.push('open load: the plan sends no request (every stage has rate 0 or lasts 0s)');
  if (!Number.isInteger(config.maxInFlight) || config.maxInFlight < 1)
    errors.push(`--max-in-flight: expected an integer >= 1, found ${config.maxInFlight}`);
  return errors;
}

/** A constant rate for a duration: a 0s stage jumps straight to the rate. */
export function constantRate(rate: number, durationMs: number): Stage[] {
  return [
    { durationMs: 0, rate },
    { durationMs, rate },
  ];
}

export function describeOpen(config: OpenConfig): string {
  const stages = config.stages.map((s) => `${s.durationMs / 1000}s→${s.rate}/s`).join(', ');
  return `open load (${stages}), at most ${config.maxInFlight} in flight`;
}

/** The target rate (req/s) at offset tMs: what the series shows beside the achieved rate. */
export function openTargetAt(config: OpenConfig): (tMs: number) => number {
  const schedule = new Schedule(config.stages);
  return (tMs) => schedule.rateAt(tMs);
}

export function openDurationMs(config: OpenConfig): number {
  return new Schedule(config.stages).totalMs;
}

export async function run(config: OpenConfig, ctx: ModelContext, emit: Emit): Promise<void> {
  const { shard, clock, signal, startMs } = ctx;
  const schedule = new Schedule(config.stages);
  // Every shard gets its share of the cap; the remainder goes to the first shards.
  const cap = Math.floor(config.maxInFlight / shard.count) + (shard.index < config.maxInFlight % shard.count ? 1 : 0);
  const inFlight = new InFlight();
  let burst = 0;
  for (let n = shard.index; !signal.aborted; n += shard.count) {
    const offset = schedule.at(n);
    if (offset === undefined) break;
    const intendedMs = startMs + offset;
    if (intendedMs > clock.now()) {
      await clock.sleepUntil(intendedMs, signal);
      burst = 0;
    } else if (++burst === BURST) {
      // Behind schedule the loop never sleeps: yield now and then, so that the sends go out on the wire and the
      // replies are read, rather than every due request piling up until the in-flight cap drops the rest.
      burst = 0;
      await setImmediate();
    }
    if (signal.aborted) break;
    if (inFlight.count >= Math.max(cap, 1)) {
      emit({ type: 'dropped', intendedMs });
      continue;
    }
    const late = clock.now() - intendedMs > LATE_AFTER_MS;
    inFlight.track(
      ctx.send().then((result) => {
        emit(requestSample(result, intendedMs, clock.now(), late));
      }),
    );
  }
  await inFlight.settled(signal);
}
