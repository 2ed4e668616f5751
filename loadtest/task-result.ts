import { buildSummary, type SummaryInput } from './build-summary.js';
import type { Shard } from './shard-split.js';
import { Aggregate } from './stats/aggregate.js';
import { decodeWindow, encodeWindow, type EncodedWindow } from './stats/window.js';
import type { GeneratorHealth, Summary } from './summary.js';

/**
 * What one Cloud Run task of a load test measured, as it writes it to `tasks/INDEX/result.json`: its per-second
 * windows as they cross a worker boundary (counts, HDR histograms encoded), so that the lead adds them up exactly as
 * the engine adds its threads', and its own summary (its share's figures, histogram and generator health) to read.
 */
export interface TaskResult {
  readonly task: Shard;
  readonly startMs: number;
  readonly endMs: number;
  readonly stopped: string | null;
  readonly windows: readonly EncodedWindow[];
  readonly warmupRequests: number;
  readonly summary: Summary;
}

export function taskResult(task: Shard, input: SummaryInput): TaskResult {
  return {
    task,
    startMs: input.startMs,
    endMs: input.endMs,
    stopped: input.stopped,
    windows: input.aggregate.series().map(encodeWindow),
    warmupRequests: input.aggregate.warmupRequests,
    summary: buildSummary(input),
  };
}

/**
 * Every task's result as one run, to summarise as one: the windows merged (so percentiles come from the merged
 * histograms, never from an average of percentiles), the span from the common start to the last task's end, the
 * first task's early stop, and the generator's health the worst of any task's. `run` is the lead's own input: the
 * options, the plan and its description are the same for every task.
 */
export function mergeTaskResults(results: readonly TaskResult[], run: SummaryInput): SummaryInput {
  const aggregate = new Aggregate();
  for (const r of results) aggregate.add({ windows: r.windows.map(decodeWindow), warmupRequests: r.warmupRequests });
  const stoppedBy = results.find((r) => r.stopped !== null);
  const health = worstHealth(results);
  return {
    ...run,
    aggregate,
    endMs: Math.max(...results.map((r) => r.endMs)),
    stopped: stoppedBy ? `task ${stoppedBy.task.index} of ${stoppedBy.task.count}: ${stoppedBy.stopped}` : null,
    health: { health: () => health },
  };
}

/** Threads and cores add up; CPU and event-loop delay are the worst task's; every task's reasons, by task. */
function worstHealth(results: readonly TaskResult[]): GeneratorHealth {
  const all = results.map((r) => ({ task: r.task, g: r.summary.generator }));
  const max = (pick: (g: GeneratorHealth) => number): number => Math.max(0, ...all.map(({ g }) => pick(g)));
  const reasons = all.flatMap(({ task, g }) => g.reasons.map((reason) => `task ${task.index}: ${reason}`));
  return {
    workers: all.reduce((n, { g }) => n + g.workers, 0),
    cores: all.reduce((n, { g }) => n + g.cores, 0),
    cpuPercent: { mean: max((g) => g.cpuPercent.mean), max: max((g) => g.cpuPercent.max) },
    eventLoopDelayMs: { p99: max((g) => g.eventLoopDelayMs.p99), max: max((g) => g.eventLoopDelayMs.max) },
    limited: reasons.length > 0,
    reasons,
  };
}
