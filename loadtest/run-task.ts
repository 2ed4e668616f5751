import type { SummaryInput } from './build-summary.js';
import { buildSummary } from './build-summary.js';
import { runLoad, type LoadTestDeps } from './engine.js';
import type { LoadTestOptions } from './options.js';
import { consoleOutput } from './outputs/console.js';
import { fileOutputs } from './outputs/default-outputs.js';
import type { Output } from './outputs/output.js';
import { newWindow, mergeWindow } from './stats/window.js';
import type { Summary } from './summary.js';
import type { TaskPeers } from './task-peers.js';
import { mergeTaskResults, taskResult } from './task-result.js';

/** Beyond a task's last reply (the run's end plus --timeout): writing its result, and the storage's latency. */
export const RESULT_MARGIN_MS = 30_000;

/**
 * One Cloud Run task of a load test split across several: it runs its share of the plan from the instant all tasks
 * agreed on, prints its own progress and summary, and writes its result for the lead. The lead (task 0) waits for
 * every task's result and returns the one merged summary, its report and CSVs written to --out; the others return
 * undefined. A task that failed, or one that never reported, leaves the lead with PeerTaskFailed: no whole result.
 */
export async function runLoadTestTask(
  options: LoadTestOptions,
  peers: TaskPeers,
  deps: LoadTestDeps = {},
): Promise<Summary | undefined> {
  const progress = consoleOutput(options.progress, { stream: deps.outputDeps?.stream ?? process.stdout });
  const own = await runLoad(options, {
    ...deps,
    outputs: [progress],
    task: peers.task,
    startAt: (readyMs) => peers.startAt(readyMs, options.connectTimeoutMs),
  });
  const result = taskResult(peers.task, own);
  await peers.putResult(result);
  if (peers.task.index !== 0) {
    await progress.stop(result.summary);
    return undefined;
  }
  const merged = mergeTaskResults(
    await peers.results(own.startMs + options.durationMs + options.timeoutMs + RESULT_MARGIN_MS),
    own,
  );
  const summary = buildSummary(merged);
  const outputs = fileOutputs(options, deps.outputDeps);
  replay(merged, outputs);
  // The lead's log ends with the whole test's summary, as a one-task test's does.
  for (const output of [progress, ...outputs]) await output.stop(summary);
  return summary;
}

/** The merged run's seconds as the engine's ticks, so that the per-second CSV is the whole test's. */
function replay(run: SummaryInput, outputs: readonly Output[]): void {
  const { aggregate, options, description, startMs } = run;
  for (const output of outputs) output.start({ options, description, startMs });
  // Per second, only the tasks' mean is known; the file outputs do not read it.
  const cpuPercent = run.health.health(0, 0).cpuPercent.mean;
  const total = newWindow(-1);
  const last = Math.max(-1, ...aggregate.windows.keys());
  for (let second = 0; second <= last; second += 1) {
    const window = aggregate.windows.get(second);
    if (window) mergeWindow(total, window);
    const tick = {
      second,
      elapsedMs: (second + 1) * 1000,
      window,
      total,
      target: run.targetAt(second * 1000),
      cpuPercent,
    };
    for (const output of outputs) output.add(tick);
  }
}
