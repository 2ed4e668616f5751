import { ModelshipError } from '../../shared/errors.js';
import { DEFAULT_FRAME_SIZE, END_HEADERS, END_STREAM, HEADERS, frame } from './h2-frames.js';
import { encodeHeaderBlock } from './hpack-encoder.js';

/** A request sent many times unchanged: its HEADERS frame built once (stream id 0, set per send) and its body. */
export interface H2Request {
  readonly headers: Buffer;
  readonly body: Buffer;
}

export function h2Request(fields: readonly (readonly [string, string])[], body: Buffer): H2Request {
  const block = encodeHeaderBlock(fields);
  // Every peer accepts frames of DEFAULT_FRAME_SIZE, so one HEADERS frame always fits without CONTINUATIONs.
  if (block.length > DEFAULT_FRAME_SIZE)
    throw new ModelshipError(
      `HTTP/2 request headers: expected at most ${DEFAULT_FRAME_SIZE} encoded bytes, found ${block.length}`,
      { hint: 'shorten the method path or the target name' },
    );
  return { headers: frame(HEADERS, END_HEADERS | (body.length === 0 ? END_STREAM : 0), 0, block), body };
}
