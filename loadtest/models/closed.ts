import { requestSample, type Emit } from '../sample.js';
import type { ModelContext } from './context.js';

/** Closed model, Locust-compatible: N users, each sending, waiting for the reply, then thinking. */
export interface ClosedConfig {
  readonly kind: 'closed';
  readonly users: number;
  /** Users started per second (Locust's --spawn-rate); user k starts at k / spawnRate. */
  readonly spawnRate: number;
  /** Locust's `wait_time = constant(thinkTime)`. */
  readonly thinkTimeMs: number;
  readonly durationMs: number;
}

export function validateClosed(config: ClosedConfig): string[] {
  const errors: string[] = [];
  if (!Number.isInteger(config.users) || config.users < 1)
    errors.push(`--users: expected an integer >= 1, found ${config.users}`);
  if (!Number.isFinite(config.spawnRate) || config.spawnRate <= 0)
    errors.push(`--spawn-rate: expected users per second > 0, found ${config.spawnRate}`);
  if (!Number.isFinite(config.thinkTimeMs) || config.thinkTimeMs < 0)
    errors.push(`--think-time: expected a duration >= 0, found ${config.thinkTimeMs} ms`);
  if (!Number.isFinite(config.durationMs) || config.durationMs <= 0)
    errors.push(`--duration: expected a duration > 0, found ${config.durationMs} ms`);
  return errors;
}

export function describeClosed(config: ClosedConfig): string {
  return `closed load: ${config.users} users, ${config.spawnRate}/s spawn rate, ${config.thinkTimeMs / 1000}s think time`;
}

/** Users running at offset tMs. */
export function closedUsersAt(config: ClosedConfig): (tMs: number) => number {
  return (tMs) => (tMs < 0 ? 0 : Math.min(config.users, Math.floor((tMs / 1000) * config.spawnRate) + 1));
}

export async function run(config: ClosedConfig, ctx: ModelContext, emit: Emit): Promise<void> {
  const { shard, clock, signal, startMs } = ctx;
  const endMs = startMs + config.durationMs;
  const user = async (k: number): Promise<void> => {
    await clock.sleepUntil(startMs + (k / config.spawnRate) * 1000, signal);
    // One clock reading per request: the reply's instant is when the user sends again (no think time) or starts
    // to think; without think time there is no sleep to wait for, not even a resolved one.
    let now = clock.now();
    while (!signal.aborted && now < endMs) {
      const intendedMs = now;
      const result = await ctx.send();
      now = clock.now();
      emit(requestSample(result, intendedMs, now, false));
      if (config.thinkTimeMs > 0) {
        await clock.sleepUntil(Math.min(now + config.thinkTimeMs, endMs), signal);
        now = clock.now();
      }
    }
  };
  const users: Promise<void>[] = [];
  for (let k = shard.index; k < config.users; k += shard.count) {
    if (startMs + (k / config.spawnRate) * 1000 >= endMs) break;
    users.push(user(k));
  }
  await Promise.all(users);
}
