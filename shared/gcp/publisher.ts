import type { PubSub, Topic } from '@google-cloud/pubsub';
import { TransientError } from '../errors.js';
import { MESSAGE_TOPICS, type PipelineMessage } from '../messages.js';

/** Publishes a pipeline message to its topic. Returns the Pub/Sub message id. */
export type Publish = (message: PipelineMessage) => Promise<string>;

/**
 * A publisher over the real Pub/Sub client. Attributes repeat the type, version and run id so that a subscription
 * can filter, and a person can read a message in the console without decoding it.
 */
export function createPublisher(pubsub: PubSub): Publish {
  const topics = new Map<string, Topic>();
  return async function publish(message) {
    const name = MESSAGE_TOPICS[message.type];
    let topic = topics.get(name);
    if (!topic) {
      // No client-side batching: each function publishes one or a few messages, and the default 10 ms batching
      // window would only add latency (the webhook answers GitHub inside its 10 s budget).
      topic = pubsub.topic(name, { batching: { maxMessages: 1, maxMilliseconds: 0 } });
      topics.set(name, topic);
    }
    try {
      return await topic.publishMessage({
        data: Buffer.from(JSON.stringify(message)),
        attributes: { type: message.type, version: String(message.version), runId: message.runId },
      });
    } catch (err) {
      throw new TransientError(`publishing ${message.type} for run ${message.runId} to topic ${name} failed`, {
        cause: err,
        hint: 'check that the topic exists (modelship gcp apply creates it) and that this service account may publish',
      });
    }
  };
}
