import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { errorMessage, MessageError } from '../shared/errors.js';
import { decodePubsubEvent, type PubsubCloudEvent } from '../shared/gcp/pubsub-event.js';
import type { Logger } from '../shared/log.js';
import type { MessageSchema } from '../shared/messages.js';

/**
 * A Pub/Sub-triggered function: decode and validate the message, run the step. The two outcomes of failure differ:
 * a MessageError (a message that can never succeed) is logged and acknowledged, so it is not redelivered forever;
 * any other error is thrown, so that Pub/Sub (retry on) delivers the message again.
 */
export function eventFunction<T, D>(
  name: string,
  schema: MessageSchema<T>,
  deps: () => D & { log: Logger },
  step: (message: T, deps: D & { log: Logger }) => Promise<void>,
): CloudEventFunction<unknown> {
  return async (event) => {
    const d = deps();
    let message: T;
    try {
      message = decodePubsubEvent(event as PubsubCloudEvent, schema, `${name}'s message`);
    } catch (err) {
      d.log.error('message dropped', { function: name, eventId: event.id, error: errorMessage(err) });
      return;
    }
    try {
      await step(message, d);
    } catch (err) {
      const runId = (message as { runId?: string }).runId;
      if (err instanceof MessageError) {
        d.log.error('message dropped', { function: name, runId, error: errorMessage(err) });
        return;
      }
      d.log.error('step failed; the message will be redelivered', { function: name, runId, error: errorMessage(err) });
      throw err;
    }
  };
}
