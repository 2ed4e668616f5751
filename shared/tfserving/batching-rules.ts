/** What TF Serving's batching session checks of `allowed_batch_sizes` (the fields in camelCase). */
export interface AllowedBatchSizes {
  maxBatchSize: number;
  allowedBatchSizes?: readonly number[];
  enableLargeBatchSplitting?: boolean;
  /** Absent (or 0, the proto default) when unset. */
  maxExecutionBatchSize?: number;
}

/**
 * The rules TF Serving's CreateBasicBatchingSession applies to `allowed_batch_sizes`, with its own messages: every
 * one broken (TF Serving stops at the first). One copy of the rules: the scenario validator lists them all, the
 * simulator refuses to start with the first.
 */
export function allowedBatchSizesProblems(p: AllowedBatchSizes): string[] {
  const sizes = p.allowedBatchSizes ?? [];
  const last = sizes.at(-1);
  if (last === undefined) return [];
  const problems: string[] = [];
  if (sizes.some((size, i) => i > 0 && size <= (sizes[i - 1] ?? 0))) {
    problems.push('allowed_batch_sizes entries must be monotonically increasing');
  }
  if (p.enableLargeBatchSplitting && p.maxExecutionBatchSize) {
    if (last !== p.maxExecutionBatchSize) {
      problems.push(
        `Last entry in allowed_batch_sizes must be equal to max_execution_batch_size; last entry was ${last}; expected ${p.maxExecutionBatchSize}`,
      );
    }
  } else if (last !== p.maxBatchSize) {
    problems.push(
      `Last entry in allowed_batch_sizes must match max_batch_size; last entry was ${last}; expected ${p.maxBatchSize}`,
    );
  }
  return problems;
}
