import { describe, expect, it } from 'vitest';
import { createModelStates } from '../../../../local/tfserving-sim/model-state.js';

describe('model version states', () => {
  it('goes START -> LOADING -> AVAILABLE -> UNLOADING -> END and reports each change', () => {
    const seen: string[] = [];
    const states = createModelStates('resnet', (v, s) => seen.push(`${v}:${s}`));
    for (const s of ['START', 'LOADING', 'AVAILABLE'] as const) states.set(1, s);
    expect(states.latestAvailable()).toBe(1);
    expect(states.statuses()).toEqual([
      { version: 1, state: 'AVAILABLE', status: { errorCode: 'OK', errorMessage: '' } },
    ]);
    states.set(1, 'UNLOADING');
    expect(states.latestAvailable()).toBeUndefined();
    states.set(1, 'END');
    expect(seen).toEqual(['1:START', '1:LOADING', '1:AVAILABLE', '1:UNLOADING', '1:END']);
  });

  it('records a failed load as END with its error', () => {
    const states = createModelStates('resnet');
    states.set(3, 'START');
    states.set(3, 'LOADING');
    states.set(3, 'END', { code: 'UNKNOWN', message: 'no variables' });
    expect(states.statuses(3)).toEqual([
      { version: 3, state: 'END', status: { errorCode: 'UNKNOWN', errorMessage: 'no variables' } },
    ]);
  });

  it('refuses impossible transitions', () => {
    const states = createModelStates('resnet');
    expect(() => states.set(1, 'AVAILABLE')).toThrow('model resnet version 1: cannot go from untracked to AVAILABLE');
    states.set(1, 'START');
    expect(() => states.set(1, 'AVAILABLE')).toThrow('cannot go from START to AVAILABLE');
  });
});
