import { randomBytes } from 'node:crypto';
import type { PubSub } from '@google-cloud/pubsub';
import type { PubsubCloudEvent } from '../../shared/gcp/pubsub-event.js';

/**
 * Delivers a topic's messages to a function handler the way a Pub/Sub push subscription with retry does: each
 * message as a CloudEvent, acknowledged when the handler returns, redelivered when it throws.
 */
export async function pushTo(
  pubsub: PubSub,
  topic: string,
  handler: (event: PubsubCloudEvent) => Promise<unknown>,
): Promise<{ close(): Promise<void> }> {
  const [subscription] = await pubsub
    .topic(topic)
    .createSubscription(`push-${topic}-${randomBytes(3).toString('hex')}`, { ackDeadlineSeconds: 60 });
  subscription.on('message', (m) => {
    const event: PubsubCloudEvent = {
      id: m.id,
      data: { message: { data: m.data.toString('base64'), attributes: m.attributes, messageId: m.id } },
    };
    handler(event).then(
      () => m.ack(),
      () => m.nack(),
    );
  });
  return { close: () => subscription.close() };
}
