
/** One `modelship` sub-command. `run` returns the exit code; only cli/main.ts sets it. */
export interface Command {
  /** Full help text, printed by `modelship NAME --help`. */
  readonly usage: string;
  run(argv: readonly string[]): Promise<number>;
}

/** A command as `modelship --help` lists it; its module is imported when it runs. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}
