import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startFirestoreEmulator, startPubsubEmulator, type Emulator } from '../../local/emulators/google-sdk.js';
import { buildLocalImages, type LocalImages } from '../../local/containers/images.js';
import { startRegistry, type Registry } from '../../local/containers/registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pubsubHost: string;
    firestoreHost: string;
    /** The local registry (HOST:PORT) and the images the local stack runs, built once for the whole run. */
    localImages: LocalImages;
    registryLog: string;
  }
}

/**
 * Starts, once for the whole test run: the Google Cloud SDK's Pub/Sub and Firestore emulators, a real OCI registry,
 * and every image the pipeline runs, built with podman from the repository's Dockerfiles and pushed there (a rebuild
 * with no change is served from podman's layer cache). Tests isolate themselves by project id and repository name,
 * so they share all of it safely. Without the SDK or podman this fails with the install hint: tests that need them
 * never skip silently.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const started: Array<Emulator | Registry> = [];
  const dir = mkdtempSync(join(tmpdir(), 'modelship-test-registry-'));
  const stop = async () => {
    await Promise.all(started.map((e) => e.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const registry = await startRegistry({ dir });
    started.push(registry);
    const emulators = [startPubsubEmulator(), startFirestoreEmulator()];
    const images = buildLocalImages({ registry: registry.host, logFile: join(dir, 'image-build.log') });
    // Whatever started is stopped, even when another part failed.
    const settled = await Promise.allSettled([...emulators, images]);
    for (const s of settled.slice(0, 2)) if (s.status === 'fulfilled') started.push(s.value as Emulator);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [pubsub, firestore] = started.slice(1) as [Emulator, Emulator];
    project.provide('pubsubHost', pubsub.host);
    project.provide('firestoreHost', firestore.host);
    project.provide('localImages', await images);
    project.provide('registryLog', registry.logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}
