import { describe, expect, it } from 'vitest';
import { loadTestOptions, optionsHelp } from '../../../loadtest/options.js';

const run = { target: '127.0.0.1:8500', rate: '10', duration: '10s' };
const search = { ...run, 'find-capacity': true, 'p99-bound': '200ms' };

describe('--stop-on-failure-ratio', () => {
  it('is 0.2 unless given, from the args or the environment, and says so in the help', () => {
    expect(loadTestOptions(run).stopOnFailureRatio).toBe(0.2);
    expect(loadTestOptions({ ...run, 'stop-on-failure-ratio': '0.5' }).stopOnFailureRatio).toBe(0.5);
    expect(loadTestOptions(run, { MODELSHIP_STOP_ON_FAILURE_RATIO: '1' }).stopOnFailureRatio).toBe(1);
    expect(optionsHelp()).toMatch(/^ {2}--stop-on-failure-ratio V +stop and fail when .* \[0\.2\]$/m);
  });

  it('leaves a capacity search to judge its probes by --errors-bound, unless given', () => {
    expect(loadTestOptions(search).stopOnFailureRatio).toBeUndefined();
    expect(loadTestOptions({ ...search, 'stop-on-failure-ratio': '0.5' }).stopOnFailureRatio).toBe(0.5);
    expect(loadTestOptions(search, { MODELSHIP_STOP_ON_FAILURE_RATIO: '0.3' }).stopOnFailureRatio).toBe(0.3);
  });
});
