import { allowedBatchSizesProblems } from '../../shared/tfserving/batching-rules.js';
import { parseTextProto, TextProtoError, type TextField } from './text-proto.js';

/** TF Serving's BatchingParameters (session_bundle_config.proto), with the defaults its batching session applies. */
export interface BatchingParameters {
  maxBatchSize: number;
  batchTimeoutMicros: number;
  maxEnqueuedBatches: number;
  numBatchThreads: number;
  threadPoolName: string;
  allowedBatchSizes: number[];
  padVariableLengthInputs: boolean;
  enableLargeBatchSplitting: boolean;
  maxExecutionBatchSize: number;
}

const TYPE = 'tensorflow.serving.BatchingParameters';

type Kind = 'int64-wrapper' | 'string-wrapper' | 'bool-wrapper' | 'int64-list' | 'bool';

const FIELDS: Record<string, { key: keyof BatchingParameters; kind: Kind }> = {
  max_batch_size: { key: 'maxBatchSize', kind: 'int64-wrapper' },
  batch_timeout_micros: { key: 'batchTimeoutMicros', kind: 'int64-wrapper' },
  max_enqueued_batches: { key: 'maxEnqueuedBatches', kind: 'int64-wrapper' },
  num_batch_threads: { key: 'numBatchThreads', kind: 'int64-wrapper' },
  thread_pool_name: { key: 'threadPoolName', kind: 'string-wrapper' },
  allowed_batch_sizes: { key: 'allowedBatchSizes', kind: 'int64-list' },
  pad_variable_length_inputs: { key: 'padVariableLengthInputs', kind: 'bool' },
  enable_large_batch_splitting: { key: 'enableLargeBatchSplitting', kind: 'bool-wrapper' },
  max_execution_batch_size: { key: 'maxExecutionBatchSize', kind: 'int64-wrapper' },
};

/** A batching file that TF Serving would refuse; the message follows protobuf's text parser or TF Serving's checks. */
export class BatchingConfigError extends Error {
  override readonly name = 'BatchingConfigError';
}

function at(field: TextField): string {
  return `${field.line}:${field.column}`;
}

function scalarOf(field: TextField, kind: 'number' | 'bool' | 'string'): string {
  if (Array.isArray(field.value)) {
    throw new TextProtoError(`${at(field)}: Expected a ${kind} for field "${field.name}", found "{".`);
  }
  const { text } = field.value;
  const ok =
    kind === 'number'
      ? /^-?\d+$/.test(text)
      : kind === 'bool'
        ? /^(true|false|True|False|t|f|0|1)$/.test(text)
        : field.value.kind === 'string';
  if (!ok) throw new TextProtoError(`${at(field)}: Expected ${kind === 'number' ? 'integer' : kind}, got: ${text}`);
  return text;
}

/** The `value` inside a wrapper message such as `max_batch_size { value: 128 }`. */
function wrapped(field: TextField, kind: 'number' | 'bool' | 'string'): string {
  const value = field.value;
  if (!Array.isArray(value))
    throw new TextProtoError(`${value.line}:${value.column}: Expected "{", found "${value.text}".`);
  let result = kind === 'number' ? '0' : kind === 'bool' ? 'false' : '';
  for (const inner of value) {
    if (inner.name !== 'value')
      throw new TextProtoError(
        `${at(inner)}: Message type "google.protobuf.${kind === 'number' ? 'Int64' : kind === 'bool' ? 'Bool' : 'String'}Value" has no field named "${inner.name}".`,
      );
    result = scalarOf(inner, kind);
  }
  return result;
}

function defaults(cores: number): BatchingParameters {
  return {
    maxBatchSize: 1000,
    batchTimeoutMicros: 0,
    maxEnqueuedBatches: 10,
    numBatchThreads: cores,
    threadPoolName: 'batch_threads',
    allowedBatchSizes: [],
    padVariableLengthInputs: false,
    enableLargeBatchSplitting: false,
    maxExecutionBatchSize: 0,
  };
}

function validate(p: BatchingParameters): void {
  const positive = ['maxBatchSize', 'maxEnqueuedBatches', 'numBatchThreads'] as const;
  const names = {
    maxBatchSize: 'max_batch_size',
    maxEnqueuedBatches: 'max_enqueued_batches',
    numBatchThreads: 'num_batch_threads',
  };
  for (const key of positive)
    if (p[key] <= 0) throw new BatchingConfigError(`${names[key]} must be positive; was ${p[key]}`);
  if (p.batchTimeoutMicros < 0)
    throw new BatchingConfigError(`batch_timeout_micros must be non-negative; was ${p.batchTimeoutMicros}`);
  if (p.enableLargeBatchSplitting && p.maxExecutionBatchSize > p.maxBatchSize) {
    throw new BatchingConfigError('max_execution_batch_size must be less than or equal to max_batch_size');
  }
  const [sizes] = allowedBatchSizesProblems(p);
  if (sizes) throw new BatchingConfigError(sizes);
}

/**
 * Parses and validates a batching parameters file as TF Serving does: protobuf text format of BatchingParameters
 * (wrapper fields need `name { value: N }`), then the batch scheduler's checks. `cores` is num_batch_threads' default.
 */
export function parseBatchingParameters(source: string, cores: number): BatchingParameters {
  const params = defaults(cores);
  let fields: TextField[];
  try {
    fields = parseTextProto(source);
    for (const field of fields) {
      const spec = FIELDS[field.name];
      if (!spec) throw new TextProtoError(`${at(field)}: Message type "${TYPE}" has no field named "${field.name}".`);
      const target = params as unknown as Record<string, unknown>;
      if (spec.kind === 'int64-wrapper') target[spec.key] = Number(wrapped(field, 'number'));
      else if (spec.kind === 'string-wrapper') target[spec.key] = wrapped(field, 'string');
      else if (spec.kind === 'bool-wrapper') target[spec.key] = /^(true|True|t|1)$/.test(wrapped(field, 'bool'));
      else if (spec.kind === 'bool') target[spec.key] = /^(true|True|t|1)$/.test(scalarOf(field, 'bool'));
      else params.allowedBatchSizes.push(Number(scalarOf(field, 'number')));
    }
  } catch (err) {
    if (err instanceof TextProtoError)
      throw new BatchingConfigError(`Error parsing text-format ${TYPE}: ${err.message}`);
    throw err;
  }
  if (params.enableLargeBatchSplitting && params.maxExecutionBatchSize === 0)
    params.maxExecutionBatchSize = params.maxBatchSize;
  validate(params);
  return params;
}
