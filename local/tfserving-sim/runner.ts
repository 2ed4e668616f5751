import type { SimClock } from './clock.js';
import { runWorkMs, share, type Capacity, type CostParams } from './cost-model.js';

/** Executes session runs in simulated time: resolves when a run over `examples` examples would have finished. */
export interface Runner {
  run(examples: number): Promise<void>;
  /** Simulated CPU time spent so far, in ms. */
  cpuMs(): number;
}

interface Job {
  /** Virtual time at which the job has received all its work. */
  finish: number;
  done: () => void;
}

/**
 * Processor sharing over --cpus by the cost model: every in-flight run progresses at the same rate, so a single
 * virtual clock (work received per run) orders the completions. One timer at a time; O(log n) per run.
 */
export function createSharedCpuRunner(cost: CostParams, capacity: Capacity, clock: SimClock): Runner {
  const jobs: Job[] = []; // sorted by finish
  let virtual = 0;
  let last = clock.now();
  let cpu = 0;
  let cancel: (() => void) | undefined;

  function advance(): void {
    const now = clock.now();
    const rate = share(cost, capacity, jobs.length);
    virtual += (now - last) * rate.perRun;
    cpu += (now - last) * rate.coresBusy;
    last = now;
    while (jobs.length > 0 && (jobs[0] as Job).finish <= virtual + 1e-9) (jobs.shift() as Job).done();
  }

  function reschedule(): void {
    cancel?.();
    cancel = undefined;
    const first = jobs[0];
    if (!first) return;
    const wait = (first.finish - virtual) / share(cost, capacity, jobs.length).perRun;
    cancel = clock.setTimer(wait, () => {
      cancel = undefined;
      advance();
      reschedule();
    });
  }

  return {
    run(examples) {
      advance();
      return new Promise<void>((done) => {
        const finish = virtual + runWorkMs(cost, examples);
        let i = jobs.length;
        while (i > 0 && (jobs[i - 1] as Job).finish > finish) i--;
        jobs.splice(i, 0, { finish, done });
        reschedule();
      });
    },
    cpuMs() {
      advance();
      return cpu;
    },
  };
}

/** Every run takes exactly `latencyMs`, whatever the load: a known truth to check a load tester against. */
export function createFixedLatencyRunner(latencyMs: number, clock: SimClock): Runner {
  return {
    run: () => new Promise<void>((done) => void clock.setTimer(latencyMs, done)),
    cpuMs: () => 0,
  };
}
