import { randomBytes } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import { inject } from 'vitest';
import { TOPICS } from '../../shared/topics.js';

/**
 * Points the Google clients at the emulators of this test run and gives each caller a project of its own, so
 * tests running side by side never see each other's topics or documents.
 */
export function useEmulators(): void {
  process.env.PUBSUB_EMULATOR_HOST = inject('pubsubHost');
  process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreHost');
  process.env.METADATA_SERVER_DETECTION = 'none';
}

export interface TestProject {
  projectId: string;
  pubsub: PubSub;
  firestore: Firestore;
  close(): Promise<void>;
}

export async function testProject(): Promise<TestProject> {
  useEmulators();
  const projectId = `test-${randomBytes(4).toString('hex')}`;
  const pubsub = new PubSub({ projectId });
  const firestore = new Firestore({ projectId });
  await Promise.all(Object.values(TOPICS).map((t) => pubsub.createTopic(t)));
  return {
    projectId,
    pubsub,
    firestore,
    close: async () => {
      await Promise.all([pubsub.close(), firestore.terminate()]);
    },
  };
}

/** A pull subscription on a topic, created before the test publishes, with a way to await messages. */
export async function subscribe(pubsub: PubSub, topic: string): Promise<Inbox> {
  const [subscription] = await pubsub.topic(topic).createSubscription(`${topic}-${randomBytes(3).toString('hex')}`);
  return new Inbox(subscription);
}

export class Inbox {
  readonly messages: Message[] = [];
  private waiters: Array<() => void> = [];

  constructor(private readonly subscription: Subscription) {
    subscription.on('message', (m: Message) => {
      m.ack();
      this.messages.push(m);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves once `count` messages have arrived; fails after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<Message[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} messages, got ${this.messages.length} in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages;
  }

  /** The first message, past or future, whose JSON body `match`es; fails after `timeoutMs`. */
  async first(match: (body: unknown) => boolean, timeoutMs = 10_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ; seen++) {
      await this.waitFor(seen + 1, Math.max(1, deadline - Date.now()));
      const m = this.messages[seen] as Message;
      if (match(JSON.parse(m.data.toString('utf8')))) return m;
    }
  }

  /**
   * Publishes a sentinel to the same topic and waits for it: whatever the subscription delivered before it is
   * everything that was published before it. Returns those messages (the way to show that nothing more came).
   */
  async drain(topic: { publishMessage(m: { data: Buffer }): Promise<string> }, timeoutMs = 10_000): Promise<Message[]> {
    const id = await topic.publishMessage({ data: Buffer.from('"sentinel"') });
    const deadline = Date.now() + timeoutMs;
    while (!this.messages.some((m) => m.id === id)) {
      await this.waitFor(this.messages.length + 1, Math.max(1, deadline - Date.now()));
    }
    return this.messages.filter((m) => m.id !== id);
  }

  json(i: number): unknown {
    const m = this.messages[i];
    if (!m) throw new Error(`no message ${i}`);
    return JSON.parse(m.data.toString('utf8'));
  }

  async close(): Promise<void> {
    await this.subscription.close();
  }
}
