import { z } from 'zod';
import { allowedBatchSizesProblems } from '../tfserving/batching-rules.js';

/**
 * TF Serving's BatchingParameters (session_bundle_config.proto) as a scenario writes them, checked by the rules
 * TF Serving applies when it creates the batch scheduler, and written out in the text format that
 * `--batching_parameters_file` reads. Field names are camelCase here and snake_case in the file.
 */

const count = (what: string, min: number) =>
  z
    .number()
    .int(`${what} must be a whole number`)
    .min(min, `${what} must be ${min === 0 ? 'non-negative' : 'positive'}`);

export const BatchingParametersSchema = z.strictObject({
  maxBatchSize: count('maxBatchSize', 1),
  batchTimeoutMicros: count('batchTimeoutMicros', 0),
  maxEnqueuedBatches: count('maxEnqueuedBatches', 1),
  numBatchThreads: count('numBatchThreads', 1),
  threadPoolName: z.string().min(1).optional(),
  allowedBatchSizes: z.array(count('each allowedBatchSizes entry', 1)).optional(),
  padVariableLengthInputs: z.boolean().optional(),
  enableLargeBatchSplitting: z.boolean().optional(),
  maxExecutionBatchSize: count('maxExecutionBatchSize', 1).optional(),
});

export type BatchingParameters = z.infer<typeof BatchingParametersSchema>;

/**
 * The cross-field rules of TF Serving's CreateBasicBatchingSession and the shared batch scheduler, with their
 * messages. Returns the problems (empty when valid), each naming the field.
 */
export function batchingProblems(p: BatchingParameters): string[] {
  const problems: string[] = [];
  const splitting = p.enableLargeBatchSplitting === true;
  const maxExecution = p.maxExecutionBatchSize;
  if (splitting && maxExecution === undefined) {
    problems.push('maxExecutionBatchSize: required when enableLargeBatchSplitting is true');
  } else if (!splitting && maxExecution !== undefined) {
    problems.push('maxExecutionBatchSize: only used with enableLargeBatchSplitting: true');
  } else if (maxExecution !== undefined && maxExecution > p.maxBatchSize) {
    problems.push(
      `maxExecutionBatchSize: when enableLargeBatchSplitting is true, maxBatchSize (${p.maxBatchSize}) must be ` +
        `greater than or equal to maxExecutionBatchSize (${maxExecution})`,
    );
  }
  problems.push(...allowedBatchSizesProblems(p).map((problem) => `allowedBatchSizes: ${problem}`));
  return problems;
}

/** The text-format file TF Serving reads: wrapper types as `name { value: N }`, plain fields as `name: V`. */
export function batchingFileText(p: BatchingParameters): string {
  const lines = [
    `max_batch_size { value: ${p.maxBatchSize} }`,
    `batch_timeout_micros { value: ${p.batchTimeoutMicros} }`,
    `max_enqueued_batches { value: ${p.maxEnqueuedBatches} }`,
    `num_batch_threads { value: ${p.numBatchThreads} }`,
  ];
  if (p.threadPoolName !== undefined) lines.push(`thread_pool_name { value: ${JSON.stringify(p.threadPoolName)} }`);
  for (const size of p.allowedBatchSizes ?? []) lines.push(`allowed_batch_sizes: ${size}`);
  if (p.padVariableLengthInputs !== undefined) lines.push(`pad_variable_length_inputs: ${p.padVariableLengthInputs}`);
  if (p.enableLargeBatchSplitting !== undefined) {
    lines.push(`enable_large_batch_splitting { value: ${p.enableLargeBatchSplitting} }`);
  }
  if (p.maxExecutionBatchSize !== undefined) {
    lines.push(`max_execution_batch_size { value: ${p.maxExecutionBatchSize} }`);
  }
  return `${lines.join('\n')}\n`;
}
