import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Pins a process (all its threads) to one core with taskset, so that a server and its load generator do not share
 * a core. Returns false, and says why, where taskset is missing or there is only one core.
 */
export function pin(pid: number, core: number): boolean {
  if (availableParallelism() <= core) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    console.error(`bench: could not pin ${pid} to core ${core} (is taskset from util-linux installed?)`);
    return false;
  }
}

/** Exact percentile of a sorted sample (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}
