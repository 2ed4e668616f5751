import { describe, expect, it } from 'vitest';
import { MessageError } from '../../../../shared/errors.js';
import { decodePubsubEvent } from '../../../../shared/gcp/pubsub-event.js';
import { PipelineFailed } from '../../../../shared/messages.js';

const event = (data: unknown) => ({
  id: 'e1',
  data: { message: { data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64') } },
});

const failed = {
  type: 'PipelineFailed',
  version: 1,
  runId: '20261125-144159-3fa9c1',
  stage: 'bake',
  reason: 'no saved_model.pb',
};

describe('decodePubsubEvent', () => {
  it('decodes and validates a message', () => {
    expect(decodePubsubEvent(event(failed), PipelineFailed, 'PipelineFailed')).toEqual(failed);
  });
  it.each([
    ['an event without a Pub/Sub message', { id: 'e2', data: { foo: 1 } }, /carries no Pub\/Sub message/],
    ['data that is not JSON', event('not json'), /is not JSON/],
    ['a message of another version', event({ ...failed, version: 2 }), /version: Invalid input: expected 1/],
    ['a message with a bad run id and stage', event({ ...failed, runId: 'X', stage: 'lunch' }), /runId: .*stage: /],
  ])('throws a MessageError for %s', (_, ev, says) => {
    expect(() => decodePubsubEvent(ev, PipelineFailed, 'PipelineFailed')).toThrow(MessageError);
    expect(() => decodePubsubEvent(ev, PipelineFailed, 'PipelineFailed')).toThrow(says);
  });
});
