import { ModelshipError } from '../../shared/errors.js';
import { fillPlaceholders, formatCommand, placeholders, type Command, type Lookup, type Plan } from './action.js';
import type { CommandRunner, RunResult } from './command-runner.js';
import { hintFor, isNotFound, isTransient, lastLines } from './gcloud-errors.js';

/**
 * One run of a plan against the cloud: resolves placeholders through lookups (each run once, when first
 * needed), reads resources (cached until the next change, so the project's IAM policy is read once per batch of
 * bindings), and runs changes, retrying the few failures that pass by themselves.
 */

export interface SessionDeps {
  run: CommandRunner;
  /** A new webhook secret (64 hex characters). */
  newSecret: () => string;
  sleep: (ms: number) => Promise<void>;
}

export type ReadResult = { absent: true; stderr: string } | { absent: false; found: unknown };

const RETRY_DELAYS_MS = [5_000, 10_000, 20_000];

/** A command that failed: `reason` is the last line of what it printed; `notFound` when what it read is absent. */
export class CommandError extends ModelshipError {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly notFound: boolean,
    readonly reason: string,
    options: { hint?: string } = {},
  ) {
    super(message, options);
  }
}

export class PlanSession {
  readonly values: Record<string, string> = {};
  /** Set when this session generated the webhook secret: printed once, at the end of apply. */
  generatedSecret: string | undefined;
  private readonly reads = new Map<string, ReadResult>();

  constructor(
    private readonly plan: Plan,
    private readonly deps: SessionDeps,
  ) {}

  /** The value of a lookup, running it (and the lookups it needs) the first time. */
  async lookup(name: string): Promise<string> {
    const known = this.values[name];
    if (known !== undefined) return known;
    const lookup = this.plan.lookups[name];
    if (!lookup) throw new Error(`the plan has no lookup ${name}`);
    const result = await this.exec(lookup.command);
    if (result.code !== 0) throw this.failure(`finding ${lookup.description}`, lookup.command, result);
    const value = lookup.value ?? (await this.derive(lookup, result.stdout));
    if (!value) {
      const message = `finding ${lookup.description}: \`${formatCommand(lookup.command)}\` printed nothing`;
      throw new CommandError(message, true, 'printed nothing');
    }
    this.values[name] = value;
    return value;
  }

  /** The value a lookup's `from` reads from the output, its own placeholders resolved. */
  private async derive(lookup: Lookup, output: string): Promise<string> {
    if (!lookup.from) return output.trim();
    let raw: string;
    try {
      raw = lookup.from(output);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new CommandError(`finding ${lookup.description}: ${reason}`, false, reason);
    }
    for (const name of placeholders({ argv: [raw] })) await this.lookup(name);
    return fillPlaceholders(raw, this.values);
  }

  /** Runs the lookups an action's commands need, so its diff can compare with resolved values. */
  async prepare(commands: readonly (Command | undefined)[]): Promise<void> {
    for (const command of commands) if (command) await this.argv(command);
  }

  async read(command: Command): Promise<ReadResult> {
    const argv = await this.argv(command);
    const key = JSON.stringify([argv, command.env ?? {}]);
    const cached = this.reads.get(key);
    if (cached) return cached;
    const result = await this.deps.run(argv, command.env ? { env: command.env } : {});
    if (result.code !== 0 && !isNotFound(result)) throw this.failure('reading', command, result);
    const read: ReadResult =
      result.code === 0 ? { absent: false, found: parseJson(result.stdout) } : { absent: true, stderr: result.stderr };
    this.reads.set(key, read);
    return read;
  }

  /** Runs a change; every read is stale afterwards. */
  async change(what: string, command: Command): Promise<void> {
    this.reads.clear();
    for (let attempt = 0; ; attempt++) {
      const result = await this.exec(command);
      if (result.code === 0) return;
      const delay = RETRY_DELAYS_MS[attempt];
      if (!isTransient(result) || delay === undefined) throw this.failure(what, command, result);
      await this.deps.sleep(delay);
    }
  }

  private async exec(command: Command): Promise<RunResult> {
    const argv = await this.argv(command);
    const stdin = command.stdin && ('text' in command.stdin ? command.stdin.text : this.secret());
    return this.deps.run(argv, { ...(command.env ? { env: command.env } : {}), ...(stdin ? { stdin } : {}) });
  }

  private async argv(command: Command): Promise<string[]> {
    for (const name of placeholders(command)) await this.lookup(name);
    return command.argv.map((arg) => fillPlaceholders(arg, this.values));
  }

  private secret(): string {
    this.generatedSecret ??= this.deps.newSecret();
    return this.generatedSecret;
  }

  private failure(what: string, command: Command, result: RunResult): CommandError {
    const hint = hintFor(result.stderr);
    return new CommandError(
      `${what}: \`${formatCommand(command)}\` exited with ${result.code}:\n${lastLines(result.stderr)}`,
      isNotFound(result),
      lastLines(result.stderr, 1),
      hint ? { hint } : {},
    );
  }
}

function parseJson(text: string): unknown {
  try {
    return text.trim() ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}
