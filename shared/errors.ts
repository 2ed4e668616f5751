/**
 * One error family for the whole pipeline. What a caller does with an error depends only on its class:
 * a TransientError is retried (the function throws so Pub/Sub redelivers), a MessageError is logged and
 * acknowledged (retrying a malformed message forever helps nobody), a ConfigError stops start-up.
 */
export class ModelshipError extends Error {
  override readonly name: string = 'ModelshipError';
  /** A hint for the person reading the message: what to change. */
  readonly hint: string | undefined;

  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(options.hint ? `${message} (${options.hint})` : message, { cause: options.cause });
    this.hint = options.hint;
  }
}

/** A failure that may pass on its own: a network error, an unavailable service. Retry. */
export class TransientError extends ModelshipError {
  override readonly name: string = 'TransientError';
}

/** A message that can never be processed as it is. Log it and acknowledge it. */
export class MessageError extends ModelshipError {
  override readonly name = 'MessageError';
}

/** Configuration that is missing or wrong. Every problem is listed at once. */
export class ConfigError extends ModelshipError {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options: { cause?: unknown } = {}) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
    this.problems = problems;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
