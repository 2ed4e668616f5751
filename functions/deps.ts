import { loadConfig } from '../shared/config.js';
import { createPublisher, type Publish } from '../shared/gcp/publisher.js';
import { createLogger, type Logger } from '../shared/log.js';
import { createFirestoreStore, type Store } from '../shared/store.js';
import { deadlines, type Deadlines } from '../shared/deadline.js';

/**
 * What the functions share, built once per instance. The Google clients are imported here, inside their
 * factories, so that each function loads only the clients it uses: they cost most of a cold start.
 */
export interface BaseDeps {
  project: string;
  log: Logger;
  now: () => Date;
  deadlines: Deadlines;
}

export function baseDeps(component: string, env: NodeJS.ProcessEnv = process.env): BaseDeps {
  const { GOOGLE_CLOUD_PROJECT: project, STAGE_GRACE_S } = loadConfig(['GOOGLE_CLOUD_PROJECT', 'STAGE_GRACE_S'], env);
  const now = () => new Date();
  return { project, log: createLogger({ labels: { component } }), now, deadlines: deadlines(STAGE_GRACE_S, now) };
}

export async function firestoreStore(project: string): Promise<Store> {
  const { Firestore } = await import('@google-cloud/firestore');
  return createFirestoreStore(new Firestore({ projectId: project }));
}

/** Pub/Sub is loaded on the first publish: a function answers what it does not publish for (a ping) without it. */
export function pubsubPublisher(project: string): Publish {
  const publisher = once(async () => {
    const { PubSub } = await import('@google-cloud/pubsub');
    return createPublisher(new PubSub({ projectId: project }));
  });
  return async (message) => (await publisher())(message);
}

/** Builds a value on first use and keeps it: deps are made per instance, not per request, and not at import. */
export function once<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}

/** A deployed function: its deps built once from the environment, then the handler made with them. */
export async function started<D, H>(deps: Promise<D>, create: (deps: () => D) => H): Promise<H> {
  const built = await deps;
  return create(() => built);
}
