import { ModelshipError } from '../shared/errors.js';

/** What went wrong in a bake, so that a test, a log filter or a person can tell the cases apart. */
export type BakeFailure =
  | 'not-a-release-asset'
  | 'download'
  | 'too-large'
  | 'not-a-tarball'
  | 'truncated'
  | 'corrupt'
  | 'unsafe-path'
  | 'link-outside'
  | 'special-file'
  | 'too-many-files'
  | 'no-saved-model'
  | 'invalid-model'
  | 'smoke-check';

/** A release that cannot be baked: the build step fails with this message, and the run fails with it. */
export class BakeError extends ModelshipError {
  override readonly name = 'BakeError';
  constructor(
    readonly failure: BakeFailure,
    message: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    super(message, options);
  }
}
