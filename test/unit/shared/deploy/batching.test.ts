import { describe, expect, it } from 'vitest';
import { batchingFileText, batchingProblems } from '../../../../shared/deploy/index.js';

const BASE = { maxBatchSize: 128, batchTimeoutMicros: 0, maxEnqueuedBatches: 2, numBatchThreads: 2 };

describe('batchingFileText', () => {
  it('writes wrapper fields as messages and plain fields as scalars, in field order', () => {
    const text = batchingFileText({
      ...BASE,
      threadPoolName: 'tfs "batch"',
      allowedBatchSizes: [32, 64],
      padVariableLengthInputs: true,
      enableLargeBatchSplitting: true,
      maxExecutionBatchSize: 64,
    });
    expect(text).toBe(
      [
        'max_batch_size { value: 128 }',
        'batch_timeout_micros { value: 0 }',
        'max_enqueued_batches { value: 2 }',
        'num_batch_threads { value: 2 }',
        'thread_pool_name { value: "tfs \\"batch\\"" }',
        'allowed_batch_sizes: 32',
        'allowed_batch_sizes: 64',
        'pad_variable_length_inputs: true',
        'enable_large_batch_splitting { value: true }',
        'max_execution_batch_size { value: 64 }',
        '',
      ].join('\n'),
    );
  });
});

describe('batchingProblems (TF Serving batch scheduler rules)', () => {
  it.each([
    [{ allowedBatchSizes: [16, 128] }, []],
    [
      { allowedBatchSizes: [16, 16, 128] },
      ['allowedBatchSizes: allowed_batch_sizes entries must be monotonically increasing'],
    ],
    [
      { allowedBatchSizes: [16, 64] },
      [
        'allowedBatchSizes: Last entry in allowed_batch_sizes must match max_batch_size; last entry was 64; expected 128',
      ],
    ],
    [{ enableLargeBatchSplitting: true }, ['maxExecutionBatchSize: required when enableLargeBatchSplitting is true']],
    [{ maxExecutionBatchSize: 32 }, ['maxExecutionBatchSize: only used with enableLargeBatchSplitting: true']],
    [
      { enableLargeBatchSplitting: true, maxExecutionBatchSize: 256 },
      [
        'maxExecutionBatchSize: when enableLargeBatchSplitting is true, maxBatchSize (128) must be greater than or equal to maxExecutionBatchSize (256)',
      ],
    ],
    [{ enableLargeBatchSplitting: true, maxExecutionBatchSize: 32, allowedBatchSizes: [8, 32] }, []],
    [
      { enableLargeBatchSplitting: true, maxExecutionBatchSize: 32, allowedBatchSizes: [8, 128] },
      [
        'allowedBatchSizes: Last entry in allowed_batch_sizes must be equal to max_execution_batch_size; last entry was 128; expected 32',
      ],
    ],
  ])('%j', (fields, problems) => {
    expect(batchingProblems({ ...BASE, ...fields })).toEqual(problems);
  });
});
