import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startFirestoreEmulator, startPubsubEmulator, type Emulator } from '../../local/emulators/google-sdk.js';
import { buildLocalImages, type LocalImages } from '../../local/containers/images.js';
import { startRegistry, type Registry } from '../../local/containers/registry.js';
import { listen } from './http-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pubsubHost: string;
    firestoreHost: string;
    /**
     * Where the images the local stack runs (LocalImages, with the local registry's HOST:PORT) are served once built,
     * once for the whole run: local-images.ts waits there.
     */
    localImagesUrl: string;
    registryLog: string;
  }
}

/**
 * Starts, once for the whole test run: the Google Cloud SDK's Pub/Sub and Firestore emulators, a real OCI registry,
 * and every image the pipeline runs, built with podman from the repository's Dockerfiles and pushed there (a rebuild
 * with no change is served from podman's layer cache). Tests isolate themselves by project id and repository name,
 * so they share all of it safely. Without the SDK or podman this fails with the install hint: tests that need them
 * never skip silently.
 *
 * The tests start once the emulators answer; the images go on building meanwhile (minutes on a fresh machine), and
 * only the files that run them wait for them (local-images.ts), or fail with the build's error.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const started: Array<Emulator | Registry | { stop(): Promise<void> }> = [];
  const dir = mkdtempSync(join(tmpdir(), 'modelship-test-registry-'));
  let images: Promise<LocalImages> | undefined;
  const stop = async () => {
    // A build still running pushes to the registry: it ends first.
    await images?.catch(() => undefined);
    await Promise.all(started.map((e) => e.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const registry = await startRegistry({ dir });
    started.push(registry);
    const built = buildLocalImages({ registry: registry.host, logFile: join(dir, 'image-build.log') });
    images = built;
    // Its error goes to the files that wait for the images.
    built.catch(() => undefined);
    // Answered once the build has ended: the images as JSON, or the build's error.
    const served = await listen(
      createServer((_req, res) => {
        built.then(
          (value) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value)),
          (err: unknown) => res.writeHead(500).end(err instanceof Error ? (err.stack ?? err.message) : String(err)),
        );
      }),
    );
    started.push({ stop: served.close });
    // Whatever started is stopped, even when another part failed.
    const settled = await Promise.allSettled([startPubsubEmulator(), startFirestoreEmulator()]);
    for (const s of settled) if (s.status === 'fulfilled') started.push(s.value);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [pubsub, firestore] = started.slice(2) as [Emulator, Emulator];
    project.provide('pubsubHost', pubsub.host);
    project.provide('firestoreHost', firestore.host);
    project.provide('localImagesUrl', served.url);
    project.provide('registryLog', registry.logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}
