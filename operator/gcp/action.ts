/**
 * A plan is an ordered list of actions. Each action names one resource (or one IAM binding), how to read it (a
 * `describe`-style command printing JSON), how to tell whether what is there is what is wanted, and the command
 * that creates or updates it. Commands are argv arrays: what `plan` prints is exactly what `apply` runs.
 *
 * Some values are known only once earlier actions ran (the subscription Eventarc created for a function, the
 * digest of a pushed image): an argument may hold `${NAME}` placeholders, each the output of a lookup, a
 * read-only command run when the value is first needed.
 */

export interface Command {
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** What the command reads on stdin. A generated secret is described in the plan, never shown. */
  readonly stdin?: { readonly text: string } | { readonly generatedSecret: true };
}

export interface Lookup {
  readonly name: string;
  readonly description: string;
  readonly command: Command;
  /** The lookup's value when it is not the command's output (a file the command writes). */
  readonly value?: string;
  /** The value read from the command's output, when it is not the output itself; it may hold placeholders. */
  readonly from?: (output: string) => string;
}

/**
 * require: a prerequisite apply does not create (the cluster). enable: the APIs. resource and iam: the
 * infrastructure. code: what changes with the source (the load-test image, the job, the functions); CI applies
 * only these (`--only code`).
 */
export type ActionKind = 'require' | 'enable' | 'resource' | 'iam' | 'code';
export const ACTION_KINDS: readonly ActionKind[] = ['require', 'enable', 'resource', 'iam', 'code'];

export interface Action {
  readonly id: string;
  readonly kind: ActionKind;
  readonly description: string;
  /** Prints the resource as JSON; fails with a not-found error when it does not exist. */
  readonly read: Command;
  /**
   * What differs between what `read` printed and what is wanted, one line each; empty when it matches. `values`
   * are the lookups resolved so far, for wanted values that hold placeholders.
   */
  diff(found: unknown, values: Readonly<Record<string, string>>): string[];
  /** Absent: the resource must exist already. */
  readonly create?: Command;
  /** Absent: a difference cannot be fixed by apply (the hint says what to do). */
  readonly update?: Command;
  readonly hint?: string;
}

export interface Plan {
  readonly actions: readonly Action[];
  readonly lookups: Readonly<Record<string, Lookup>>;
}

const PLACEHOLDER = /\$\{([A-Z0-9_]+)\}/g;
const HAS_PLACEHOLDER = /\$\{[A-Z0-9_]+\}/;

/** The lookup names an argument list refers to, in order of first use. */
export function placeholders(command: Command): string[] {
  const names = command.argv.flatMap((arg) => [...arg.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''));
  return [...new Set(names)];
}

export function fillPlaceholders(arg: string, values: Readonly<Record<string, string>>): string {
  return arg.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for \${${name}}`);
    return value;
  });
}

/** One argument as a POSIX shell word: bare when safe, placeholders as "$NAME", otherwise single-quoted. */
function shellWord(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  if (/^[A-Za-z0-9_@%+=:,./${}-]+$/.test(arg) && HAS_PLACEHOLDER.test(arg)) return `"${arg}"`;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** The command as a person would type it in a shell. */
export function formatCommand(command: Command): string {
  const env = Object.entries(command.env ?? {}).map(([k, v]) => `${k}=${shellWord(v)} `);
  const line = env.join('') + command.argv.map(shellWord).join(' ');
  if (!command.stdin) return line;
  if ('generatedSecret' in command.stdin) return `openssl rand -hex 32 | tr -d '\\n' | ${line}`;
  return `${line} <<'EOF'\n${command.stdin.text.trimEnd()}\nEOF`;
}
