import type { TestProject } from 'vitest/node';
import { startFirestoreEmulator, startPubsubEmulator, type Emulator } from '../../local/emulators/google-sdk.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pubsubHost: string;
    firestoreHost: string;
  }
}

/**
 * Starts the Google Cloud SDK's Pub/Sub and Firestore emulators once for the whole test run. Tests isolate
 * themselves by project id (see emulators.ts), so they share the two JVMs safely. Without the SDK this fails
 * with the install hint: tests that need the emulators never skip silently.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const started: Emulator[] = [];
  try {
    const [pubsub, firestore] = await Promise.all([startPubsubEmulator(), startFirestoreEmulator()]);
    started.push(pubsub, firestore);
    project.provide('pubsubHost', pubsub.host);
    project.provide('firestoreHost', firestore.host);
  } catch (err) {
    await Promise.all(started.map((e) => e.stop()));
    throw err;
  }
  return async () => {
    await Promise.all(started.map((e) => e.stop()));
  };
}
