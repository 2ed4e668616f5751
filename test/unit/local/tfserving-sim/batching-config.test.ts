import { describe, expect, it } from 'vitest';
import { parseBatchingParameters } from '../../../../local/tfserving-sim/batching-config.js';
import { parseMonitoringConfig } from '../../../../local/tfserving-sim/monitoring-config.js';

describe('batching parameters file', () => {
  it("reads the seed's file, with TF Serving's defaults for what it leaves out", () => {
    const params = parseBatchingParameters(
      `# the seed's batch scenarios
max_batch_size { value: 128 }
batch_timeout_micros { value: 0 }
max_enqueued_batches { value: 2 }
num_batch_threads { value: 2 }
`,
      8,
    );
    expect(params).toMatchObject({
      maxBatchSize: 128,
      batchTimeoutMicros: 0,
      maxEnqueuedBatches: 2,
      numBatchThreads: 2,
    });
    expect(params).toMatchObject({
      threadPoolName: 'batch_threads',
      allowedBatchSizes: [],
      padVariableLengthInputs: false,
    });
  });

  it('reads every field, in each text-format spelling', () => {
    const params = parseBatchingParameters(
      `max_batch_size: { value: 64 }, thread_pool_name <value: 'pool'>
allowed_batch_sizes: 16 allowed_batch_sizes: [32, 64]; pad_variable_length_inputs: true
enable_large_batch_splitting { value: false } max_execution_batch_size { value: 64 }`,
      4,
    );
    expect(params).toMatchObject({ maxBatchSize: 64, threadPoolName: 'pool', allowedBatchSizes: [16, 32, 64] });
    expect(params).toMatchObject({ padVariableLengthInputs: true, numBatchThreads: 4, maxEnqueuedBatches: 10 });
  });

  it.each([
    ['max_batch_size: 128', '1:17: Expected "{", found "128".'],
    [
      'max_batch_size { value: 128 }\nmax_batch_sise { value: 1 }',
      '2:1: Message type "tensorflow.serving.BatchingParameters" has no field named "max_batch_sise".',
    ],
    ['max_batch_size { valu: 1 }', 'Message type "google.protobuf.Int64Value" has no field named "valu".'],
    ['max_batch_size { value: 1.5 }', 'Expected integer, got: 1.5'],
    ['max_batch_size { value: 128 ', 'Expected "}", found "end of input".'],
    ['max_batch_size { value: 0 }', 'max_batch_size must be positive; was 0'],
    ['num_batch_threads { value: 0 }', 'num_batch_threads must be positive; was 0'],
    ['batch_timeout_micros { value: -1 }', 'batch_timeout_micros must be non-negative; was -1'],
    [
      'max_batch_size { value: 32 } allowed_batch_sizes: [8, 4, 32]',
      'allowed_batch_sizes entries must be monotonically increasing',
    ],
    [
      'max_batch_size { value: 32 } allowed_batch_sizes: [8, 16]',
      'Last entry in allowed_batch_sizes must match max_batch_size; last entry was 16; expected 32',
    ],
  ])('refuses %j', (text, message) => {
    expect(() => parseBatchingParameters(text, 2)).toThrow(message);
  });
});

describe('monitoring config file', () => {
  it('reads prometheus_config', () => {
    expect(parseMonitoringConfig('prometheus_config { enable: true, path: "/metrics" }')).toEqual({
      prometheusEnabled: true,
      prometheusPath: '/metrics',
    });
    expect(() => parseMonitoringConfig('prometheus { enable: true }')).toThrow(/has no field named "prometheus"/);
  });
});
