import { searchCapacity } from './capacity-search.js';
import { runLoadTest, type LoadTestDeps } from './engine.js';
import { constantRate } from './models/open.js';
import type { LoadTestOptions } from './options.js';
import { capacityConsole } from './outputs/console.js';
import { fileOutputs } from './outputs/default-outputs.js';
import type { Output, RunMeta, Tick } from './outputs/output.js';
import { prepareRequest } from './prepare.js';
import type { Summary } from './summary.js';

/** Keeps a probe's ticks, so that the files can be written from the probe that stands for the capacity. */
function tickRecorder(): Output & { meta?: RunMeta; ticks: Tick[] } {
  const recorder: Output & { meta?: RunMeta; ticks: Tick[] } = {
    ticks: [],
    start: (meta) => void (recorder.meta = meta),
    add: (tick) => void recorder.ticks.push(tick),
    stop: async () => undefined,
  };
  return recorder;
}

/**
 * `--find-capacity`: the request is prepared (and checked) once, then each probe is a whole constant-rate open
 * run of --duration (its --warmup excluded) judged by capacity-search.ts. The console shows each probe as it
 * ends; summary.json, the CSVs and the report are those of the best passing probe, with `capacity` added.
 */
export async function findCapacity(options: LoadTestOptions, deps: LoadTestDeps = {}): Promise<Summary> {
  const config = options.capacity;
  if (!config || options.load.kind !== 'open') throw new Error('findCapacity needs --find-capacity and --rate');
  const request = await (deps.prepare ?? prepareRequest)(options, deps.log);
  const progress = capacityConsole(options.progress, { stream: deps.outputDeps?.stream ?? process.stdout });
  const probeMs = options.durationMs;
  progress.start(
    `capacity search against ${options.target.authority} (${options.protocol}): p99 <= ${config.p99BoundMs} ms, errors <= ${config.errorsBound * 100}%, probes of ${probeMs / 1000}s from ${config.startRps} req/s`,
  );
  const recordings: ReturnType<typeof tickRecorder>[] = [];
  const load = options.load;
  const { summary, probeIndex } = await searchCapacity(
    config,
    (rps) => {
      const recorder = tickRecorder();
      recordings.push(recorder);
      const probeOptions = { ...options, load: { ...load, stages: constantRate(rps, probeMs) } };
      return runLoadTest(probeOptions, { ...deps, prepare: async () => request, outputs: [recorder] });
    },
    progress.probe,
  );
  const chosen = recordings[probeIndex]!;
  for (const output of deps.outputs ?? fileOutputs(options, deps.outputDeps)) {
    output.start(chosen.meta!);
    for (const tick of chosen.ticks) output.add(tick);
    await output.stop(summary);
  }
  progress.stop(summary);
  return summary;
}
