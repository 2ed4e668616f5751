import { describe, expect, it } from 'vitest';
import { allowedBatchSizesProblems } from '../../../../shared/tfserving/batching-rules.js';

describe("TF Serving's allowed_batch_sizes rules", () => {
  it.each([
    [{ maxBatchSize: 128 }, []],
    [{ maxBatchSize: 128, allowedBatchSizes: [32, 128] }, []],
    [
      { maxBatchSize: 128, allowedBatchSizes: [64, 32] },
      [
        'allowed_batch_sizes entries must be monotonically increasing',
        'Last entry in allowed_batch_sizes must match max_batch_size; last entry was 32; expected 128',
      ],
    ],
    [{ maxBatchSize: 128, allowedBatchSizes: [8, 32], enableLargeBatchSplitting: true, maxExecutionBatchSize: 32 }, []],
    [
      { maxBatchSize: 128, allowedBatchSizes: [8, 128], enableLargeBatchSplitting: true, maxExecutionBatchSize: 32 },
      ['Last entry in allowed_batch_sizes must be equal to max_execution_batch_size; last entry was 128; expected 32'],
    ],
    // Splitting without max_execution_batch_size (the proto's 0): batches are cut at max_batch_size.
    [{ maxBatchSize: 64, allowedBatchSizes: [64], enableLargeBatchSplitting: true, maxExecutionBatchSize: 0 }, []],
  ])('%j', (params, problems) => {
    expect(allowedBatchSizesProblems(params)).toEqual(problems);
  });
});
