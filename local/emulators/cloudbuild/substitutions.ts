/**
 * Cloud Build's substitution rules, as the emulator applies them to a build request: `$$` is a literal `$`;
 * `$NAME` and `${NAME}` are replaced, where NAME is a built-in (PROJECT_ID, BUILD_ID, ...) or a user substitution
 * (`_NAME`). Under MUST_MATCH (the default) a reference with no value and a value with no reference are both errors;
 * under ALLOW_LOOSE a missing user substitution is empty and an unused one is fine.
 */

const REFERENCE = /\$(\$|\{([A-Z_][A-Z0-9_]*)\}|([A-Z_][A-Z0-9_]*))/g;
export const USER_KEY = /^_[A-Z0-9_]+$/;

export class SubstitutionError extends Error {}

export interface Substituter {
  /** The text with every reference replaced. */
  apply(text: string): string;
  /** After every field was applied: the MUST_MATCH check of values nobody used. */
  checkAllUsed(): void;
}

export function substituter(
  user: Record<string, string>,
  builtIns: Record<string, string>,
  option: 'MUST_MATCH' | 'ALLOW_LOOSE',
): Substituter {
  for (const key of Object.keys(user)) {
    if (!USER_KEY.test(key)) {
      throw new SubstitutionError(
        `invalid value for 'build.substitutions': key "${key}" must begin with an underscore and use only upper-case letters, digits and underscores`,
      );
    }
  }
  const used = new Set<string>();
  return {
    apply(text) {
      return text.replace(REFERENCE, (_all, body: string, braced?: string, bare?: string) => {
        if (body === '$') return '$';
        const name = (braced ?? bare) as string;
        used.add(name);
        if (name in user) return user[name] as string;
        if (name in builtIns) return builtIns[name] as string;
        if (name.startsWith('_') && option === 'ALLOW_LOOSE') return '';
        throw new SubstitutionError(
          name.startsWith('_')
            ? `invalid value for 'build.substitutions': key in the template "${name}" is not matched in the substitution data`
            : `invalid value for 'build.substitutions': key in the template "${name}" is not a valid built-in substitution`,
        );
      });
    },
    checkAllUsed() {
      if (option === 'ALLOW_LOOSE') return;
      const unused = Object.keys(user).filter((k) => !used.has(k));
      if (unused.length) {
        throw new SubstitutionError(
          `invalid value for 'build.substitutions': key in the substitution data "${unused[0]}" is not matched in the template`,
        );
      }
    },
  };
}
