import { posix } from 'node:path';
import type { Action, Lookup } from './action.js';
import type { GcpConfig } from './config-schema.js';
import { gcloudRead, gcloudRun, mapFlag } from './gcloud-args.js';
import type { Names } from './names.js';
import { digestLookup, gcraneImage } from './plan-images.js';

/**
 * The bake's base image (model.baseImage), copied into the project's pipeline repository and used by digest. The
 * seed's lives on gcr.io in another project: the bake's service account cannot be assumed to read it there, and
 * Container Registry is shut down. An image already in an Artifact Registry repository of this project is used as
 * given. The copy is a Cloud Build run of gcrane (cloudbuild/mirror-image.yaml): gcloud has no image copy command.
 */

const BASE_DIGEST = 'BASE_DIGEST';

const inProject = (config: GcpConfig) =>
  new RegExp(`^[a-z0-9-]+-docker\\.pkg\\.dev/${config.project}/`).test(config.model.baseImage);

/** `gcr.io/P/NAME:TAG` → `REGION-docker.pkg.dev/PROJECT/PIPELINE/base/NAME:TAG` (`latest` without a tag). */
function mirrorRef(config: GcpConfig): string {
  const ref = config.model.baseImage;
  const digest = /@sha256:([0-9a-f]+)$/.exec(ref)?.[1];
  const path = ref.replace(/@sha256:[0-9a-f]+$/, '');
  const tag = /:([^/:]+)$/.exec(path)?.[1];
  const name =
    path
      .replace(/:[^/:]+$/, '')
      .split('/')
      .pop() ?? 'base';
  const version = digest ? `sha256-${digest}` : (tag ?? 'latest');
  return `${config.region}-docker.pkg.dev/${config.project}/${config.registry.pipeline}/base/${name}:${version}`;
}

/** BASE_IMAGE of the bake: the copy by the digest apply finds for it. */
export function baseImage(config: GcpConfig): string {
  if (inProject(config)) return config.model.baseImage;
  return `${mirrorRef(config).replace(/:[^/:]+$/, '')}@\${${BASE_DIGEST}}`;
}

export function baseImageLookups(config: GcpConfig): Lookup[] {
  if (inProject(config)) return [];
  return [digestLookup(config.project, BASE_DIGEST, mirrorRef(config))];
}

/** Copied once: the tag names what was copied, so a new model.baseImage is a new copy. */
export function baseImageActions(config: GcpConfig, names: Names, sourceDir: string): Action[] {
  if (inProject(config)) return [];
  const target = mirrorRef(config);
  return [
    {
      id: 'base image',
      kind: 'resource',
      description: `Copy the bake's base image ${config.model.baseImage} to ${target} (Cloud Build, gcrane)`,
      read: gcloudRead(config.project, 'artifacts', 'docker', 'images', 'describe', target),
      diff: () => [],
      create: gcloudRun(
        config.project,
        'builds',
        'submit',
        '--no-source',
        `--config=${posix.join(sourceDir, 'cloudbuild/mirror-image.yaml')}`,
        mapFlag('substitutions', {
          _GCRANE_IMAGE: gcraneImage(config),
          _SOURCE: config.model.baseImage,
          _TARGET: target,
        }),
        `--service-account=${names.accountPath('builder')}`,
      ),
    },
  ];
}
