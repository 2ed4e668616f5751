/**
 * The simulator's service-time model. Every number here is an assumption, calibrated to public figures for
 * ResNet-50 (see docs/tfserving.md); the model's shape is what matters: intra-op threads speed one request up with
 * diminishing returns (Amdahl), inter-op threads bound how many session runs execute at once, concurrent runs share
 * --cpus (with a penalty when threads oversubscribe cores), and a batched run amortises a per-run overhead.
 */
export interface CostParams {
  /** Single-core CPU time of one example in a batch of one, in ms. */
  cpuMsPerExample: number;
  /** Share of a run's work that intra-op threads can split (Amdahl's p). */
  parallelFraction: number;
  /** Throughput lost per unit of thread oversubscription (threads / cpus - 1): context switches, cache thrash. */
  oversubscriptionPenalty: number;
  /** Share of a batch-of-one run that is per-run overhead, paid once per batch rather than per example. */
  perRunOverhead: number;
  /** Contention an idle inter-op thread still adds (Eigen's pools spin before they sleep), in threads. */
  idleThreadLoad: number;
}

export const DEFAULT_COST: CostParams = {
  cpuMsPerExample: 80,
  parallelFraction: 0.9,
  oversubscriptionPenalty: 0.05,
  perRunOverhead: 0.3,
  idleThreadLoad: 0.1,
};

export interface Capacity {
  cpus: number;
  intraOp: number;
  interOp: number;
}

/** Single-core work of one session run over `batch` examples, in ms. */
export function runWorkMs(cost: CostParams, batch: number): number {
  return cost.cpuMsPerExample * (cost.perRunOverhead + (1 - cost.perRunOverhead) * batch);
}

/** How fast one run progresses on `cores` cores (work-ms per wall-ms): Amdahl above one core, time-sliced below. */
export function speedOn(cost: CostParams, cores: number): number {
  return cores >= 1 ? 1 / (1 - cost.parallelFraction + cost.parallelFraction / cores) : cores;
}

export interface Share {
  /** Progress of each in-flight run, in work-ms per wall-ms. */
  perRun: number;
  /**
   * CPU-ms burnt per wall-ms: the work done plus what oversubscription wastes. Intra-op threads idle during a run's
   * serial part burn nothing (that is the Amdahl loss, paid in latency, not in CPU).
   */
  coresBusy: number;
}

/**
 * The progress rate of each of `inFlight` concurrent runs. At most inter_op runs execute at once, each on up to
 * intra_op threads and its share of the cpus; the rest wait for an inter-op thread, and processor sharing spreads
 * that wait evenly over all runs (TF interleaves the ops of concurrent runs).
 */
export function share(cost: CostParams, capacity: Capacity, inFlight: number): Share {
  if (inFlight <= 0) return { perRun: 0, coresBusy: 0 };
  const active = Math.min(inFlight, capacity.interOp);
  const threads = active * capacity.intraOp + cost.idleThreadLoad * (capacity.interOp - active);
  const coresPerRun = Math.min(capacity.intraOp, capacity.cpus / active);
  const oversubscribed = Math.max(0, threads / capacity.cpus - 1);
  const perActive = speedOn(cost, coresPerRun) / (1 + cost.oversubscriptionPenalty * oversubscribed);
  return { perRun: (perActive * active) / inFlight, coresBusy: speedOn(cost, coresPerRun) * active };
}

/** Steady-state examples per second with `inFlight` runs of `batch` examples always in flight. */
export function throughput(cost: CostParams, capacity: Capacity, inFlight: number, batch = 1): number {
  const { perRun } = share(cost, capacity, inFlight);
  return (1000 * perRun * inFlight * batch) / runWorkMs(cost, batch);
}

/** Latency of a lone request of `batch` examples on an idle server, in ms. */
export function idleLatencyMs(cost: CostParams, capacity: Capacity, batch = 1): number {
  return runWorkMs(cost, batch) / share(cost, capacity, 1).perRun;
}
