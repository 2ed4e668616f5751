import { join } from 'node:path';
import type { PubSub } from '@google-cloud/pubsub';
import { startReleaseServer, type ReleaseServer } from '../../release-server.js';
import { startCloudBuildEmulator, type CloudBuildEmulator } from './cloudbuild-emulator.js';

/** What the local stack needs to bake: the Cloud Build emulator, the stand-in for GitHub, and the image store. */
export interface LocalBake {
  cloudBuild: CloudBuildEmulator;
  releases: ReleaseServer;
  /** The local image store's root (local/image-store.ts): baked images land here, the Kubernetes emulator reads them. */
  imageStore: string;
  /** The functions' environment that points them at these. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Images go to `<dir>/images`, build workspaces and logs to `<dir>/cloudbuild`. */
export async function startLocalBake(o: {
  dir: string;
  pubsub: PubSub;
  ports: { cloudbuild: number; releases: number };
}): Promise<LocalBake> {
  const imageStore = join(o.dir, 'images');
  const releases = await startReleaseServer({ port: o.ports.releases });
  const cloudBuild = await startCloudBuildEmulator({
    port: o.ports.cloudbuild,
    pubsub: o.pubsub,
    imageStore,
    workDir: join(o.dir, 'cloudbuild'),
  }).catch(async (err: unknown) => {
    await releases.stop();
    throw err;
  });
  return {
    cloudBuild,
    releases,
    imageStore,
    env: {
      CLOUD_BUILD_EMULATOR_HOST: cloudBuild.host,
      GITHUB_API_URL: releases.apiUrl,
      GITHUB_SERVER_URL: releases.serverUrl,
      // The local stack has no registry: these only name the images (the image store holds them by digest).
      MODELSHIP_IMAGE: 'local/modelship:dev',
      TARGET_IMAGE_REPOSITORY: 'local/modelship/serving',
    },
    async stop() {
      await cloudBuild.stop();
      await releases.stop();
    },
  };
}
