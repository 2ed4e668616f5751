import type { LoadTestOptions } from '../options.js';
import type { Window } from '../stats/window.js';
import type { Summary } from '../summary.js';

/** What every output sees when the run starts. */
export interface RunMeta {
  readonly options: LoadTestOptions;
  readonly description: string;
  /** Epoch ms of the run's time 0. */
  readonly startMs: number;
}

/** Once a second: the second that just completed, and the totals so far (the warmup excluded). */
export interface Tick {
  readonly second: number;
  readonly elapsedMs: number;
  readonly window: Window | undefined;
  readonly total: Window;
  /** Users (closed) or target req/s (open) at that second. */
  readonly target: number;
  readonly cpuPercent: number;
}

/** k6's output shape: started once, fed every tick, stopped with the summary (where files get written). */
export interface Output {
  start(meta: RunMeta): void;
  add(tick: Tick): void;
  stop(summary: Summary): Promise<void>;
}

/** The collaborators outputs write through, so tests can pass their own. */
export interface OutputDeps {
  writeFile(path: string, data: string): Promise<void>;
  /** Where the live line or log goes. */
  readonly stream: { write(text: string): unknown; readonly isTTY?: boolean };
}
