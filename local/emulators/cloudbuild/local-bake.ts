import { join } from 'node:path';
import type { PubSub } from '@google-cloud/pubsub';
import type { LocalImages } from '../../containers/images.js';
import { startReleaseServer, type ReleaseServer } from '../../release-server.js';
import { startCloudBuildEmulator, type CloudBuildEmulator } from './cloudbuild-emulator.js';
import { containerSteps } from './container-step.js';
import { inProcessSteps } from './step-runner.js';

/** What the local stack needs to bake: the Cloud Build emulator, the stand-in for GitHub, and where images go. */
export interface LocalBake {
  cloudBuild: CloudBuildEmulator;
  releases: ReleaseServer;
  /** The local image store's root (local/image-store.ts), where the in-process mode puts baked images. */
  imageStore: string;
  /** The functions' environment that points them at these. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * With `images` (container mode) every step is a container of its image and the baked image is pushed to the local
 * registry; without, steps run in this process and images go to `<dir>/images`. Build workspaces and logs go to
 * `<dir>/cloudbuild`.
 */
export async function startLocalBake(o: {
  dir: string;
  pubsub: PubSub;
  ports: { cloudbuild: number; releases: number };
  images?: LocalImages;
  /** The token that may publish releases on the stand-in for GitHub (and write their notes). */
  githubToken?: string;
}): Promise<LocalBake> {
  const imageStore = join(o.dir, 'images');
  const releases = await startReleaseServer({
    port: o.ports.releases,
    ...(o.githubToken ? { token: o.githubToken } : {}),
  });
  const cloudBuild = await startCloudBuildEmulator({
    port: o.ports.cloudbuild,
    pubsub: o.pubsub,
    executeStep: o.images ? containerSteps({ builders: o.images.builders }) : inProcessSteps(imageStore),
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
      ...(o.images
        ? {
            MODELSHIP_IMAGE: o.images.modelship,
            BASE_IMAGE: o.images.tfServingBase,
            TARGET_IMAGE_REPOSITORY: `${o.images.registry}/modelship/serving`,
          }
        : // In process there is no registry: these only name the images (the image store holds them by digest).
          { MODELSHIP_IMAGE: 'local/modelship:dev', TARGET_IMAGE_REPOSITORY: 'local/modelship/serving' }),
    },
    async stop() {
      await cloudBuild.stop();
      await releases.stop();
    },
  };
}
