import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { loadConfig } from '../shared/config.js';
import { createPublisher, type Publish } from '../shared/gcp/publisher.js';
import { createLogger, type Logger } from '../shared/log.js';
import { createFirestoreStore, type Store } from '../shared/store.js';

/** What every function shares: the project, a logger, the store and the publisher, built once per instance. */
export interface CommonDeps {
  project: string;
  log: Logger;
  store: Store;
  publish: Publish;
  now: () => Date;
}

export function commonDeps(component: string, env: NodeJS.ProcessEnv = process.env): CommonDeps {
  const { GOOGLE_CLOUD_PROJECT: project } = loadConfig(['GOOGLE_CLOUD_PROJECT'], env);
  return {
    project,
    log: createLogger({ labels: { component } }),
    store: createFirestoreStore(new Firestore({ projectId: project })),
    publish: createPublisher(new PubSub({ projectId: project })),
    now: () => new Date(),
  };
}

/** Builds a value on first use and keeps it: deps are made per instance, not per request, and not at import. */
export function once<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}
