/**
 * The seconds of a run's series that lie wholly inside its measured span (from the end of the warmup to the end of
 * the run). The first second after the warmup holds only part of a second's requests, and the last only the replies
 * drained after the end: drawn or weighed as whole seconds they read as a ramp and a collapse that never happened.
 */
export function measuredSeconds<P extends { readonly second: number }>(run: {
  readonly warmupMs: number;
  readonly measuredMs: number;
  readonly series: readonly P[];
}): P[] {
  const from = run.warmupMs / 1000;
  const to = (run.warmupMs + run.measuredMs) / 1000;
  return run.series.filter((s) => s.second >= from && s.second + 1 <= to);
}
