import { MessageError } from '../errors.js';
import { parseMessage, type MessageSchema } from '../messages.js';

/** The `data` of a CloudEvent from Pub/Sub (google.cloud.pubsub.topic.v1.messagePublished). */
export interface PubsubMessageData {
  message: { data?: string; attributes?: Record<string, string>; messageId?: string; publishTime?: string };
  subscription?: string;
}

/** A CloudEvent as the Functions Framework hands it over: only the parts the pipeline reads. */
export interface PubsubCloudEvent {
  id?: string;
  data?: unknown;
  traceparent?: string;
}

function isPubsubMessageData(data: unknown): data is PubsubMessageData {
  if (typeof data !== 'object' || data === null || !('message' in data)) return false;
  const message = (data as { message: unknown }).message;
  return typeof message === 'object' && message !== null;
}

/** The raw message of a Pub/Sub CloudEvent: its JSON-decoded data and its attributes. */
export function decodePubsubJson(event: PubsubCloudEvent): { value: unknown; attributes: Record<string, string> } {
  if (!isPubsubMessageData(event.data)) {
    throw new MessageError(`CloudEvent ${event.id ?? '(no id)'} carries no Pub/Sub message`, {
      hint: 'the function must be triggered by a Pub/Sub topic (google.cloud.pubsub.topic.v1.messagePublished)',
    });
  }
  const { data = '', attributes = {} } = event.data.message;
  const text = Buffer.from(data, 'base64').toString('utf8');
  try {
    return { value: JSON.parse(text), attributes };
  } catch (err) {
    throw new MessageError(`Pub/Sub message ${event.data.message.messageId ?? '(no id)'} is not JSON`, { cause: err });
  }
}

/** Decodes a Pub/Sub CloudEvent into a typed, validated pipeline message, or throws a MessageError. */
export function decodePubsubEvent<T>(event: PubsubCloudEvent, schema: MessageSchema<T>, what: string): T {
  return parseMessage(schema, decodePubsubJson(event).value, what);
}
