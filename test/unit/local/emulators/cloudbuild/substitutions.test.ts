import { describe, expect, it } from 'vitest';
import { SubstitutionError, substituter } from '../../../../../local/emulators/cloudbuild/substitutions.js';

const BUILT_INS = { PROJECT_ID: 'p', BUILD_ID: 'b' };

describe('Cloud Build substitutions', () => {
  it('replaces $_X, ${_X} and built-ins, keeps $$ as $ and leaves shell syntax alone', () => {
    const sub = substituter({ _A: 'a', _B: 'b' }, BUILT_INS, 'MUST_MATCH');
    expect(sub.apply('$_A-${_B}/$PROJECT_ID/${BUILD_ID}')).toBe('a-b/p/b');
    expect(sub.apply('ref=$$(cat f) "$$BUILDER_OUTPUT/output" $1 $x')).toBe(
      'ref=$(cat f) "$BUILDER_OUTPUT/output" $1 $x',
    );
    expect(() => sub.checkAllUsed()).not.toThrow();
  });

  it('under MUST_MATCH, refuses a reference with no value and a value with no reference', () => {
    const sub = substituter({ _A: 'a', _UNUSED: 'u' }, BUILT_INS, 'MUST_MATCH');
    expect(() => sub.apply('$_MISSING')).toThrow(/"_MISSING" is not matched in the substitution data/);
    expect(() => sub.apply('$NOT_BUILT_IN')).toThrow(/"NOT_BUILT_IN" is not a valid built-in substitution/);
    sub.apply('$_A');
    expect(() => sub.checkAllUsed()).toThrow(/"_UNUSED" is not matched in the template/);
  });

  it('under ALLOW_LOOSE, a missing user substitution is empty and an unused one is fine', () => {
    const sub = substituter({ _UNUSED: 'u' }, BUILT_INS, 'ALLOW_LOOSE');
    expect(sub.apply('[$_MISSING]')).toBe('[]');
    expect(() => sub.checkAllUsed()).not.toThrow();
  });

  it('refuses user keys that do not start with an underscore', () => {
    expect(() => substituter({ lower: 'x' }, BUILT_INS, 'MUST_MATCH')).toThrow(SubstitutionError);
  });
});
