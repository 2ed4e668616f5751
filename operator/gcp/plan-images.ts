import { posix } from 'node:path';
import { imageByDigest as digestReference } from '../../shared/messages.js';
import type { Action, Lookup } from './action.js';
import type { GcpConfig } from './config-schema.js';
import { gcloudRead, gcloudRun, gcloudValue, mapFlag } from './gcloud-args.js';
import type { Names } from './names.js';

/**
 * modelship's two images, the two targets of the root Dockerfile, built together by cloudbuild/load-tester.yaml and
 * tagged with the source hash, so an unchanged source builds nothing. The tool image runs the bake steps as root
 * (Cloud Build mounts /workspace root-owned and has no per-step user); the load-test image is the same files as the
 * unprivileged `node` user, for the Cloud Run job. Both are deployed by the digest apply finds for them. Images built
 * elsewhere (CI) are given as a pair and only checked.
 */

const IMAGES = {
  tool: { label: 'tool image', digest: 'TOOL_DIGEST' },
  loadTester: { label: 'load-test image', digest: 'LOADTEST_DIGEST' },
} as const;
export type ImageKind = keyof typeof IMAGES;
export type ImageRefs = Readonly<Record<ImageKind, string>>;
const KINDS = Object.keys(IMAGES) as ImageKind[];

export interface ImageInputs {
  sourceDir: string;
  sourceHash: string;
  /** Images built elsewhere (CI), instead of building them here. */
  images?: ImageRefs;
}

/** The images built elsewhere: from the command line, else from the config; undefined when apply builds them. */
function givenImages(config: GcpConfig, inputs: ImageInputs): ImageRefs | undefined {
  const { image, toolImage } = config.loadTest;
  return inputs.images ?? (image && toolImage ? { loadTester: image, tool: toolImage } : undefined);
}

export function imageRefs(config: GcpConfig, names: Names, inputs: ImageInputs): ImageRefs {
  const tag = `src-${inputs.sourceHash}`;
  return (
    givenImages(config, inputs) ?? { tool: `${names.toolImage}:${tag}`, loadTester: `${names.loadTestImage}:${tag}` }
  );
}

/** `REPO/IMAGE:TAG` or `REPO/IMAGE@sha256:...` → `REPO/IMAGE`. */
function imageName(ref: string): string {
  return ref.replace(/(@sha256:[0-9a-f]+|:[^/:@]+)$/, '');
}

/** The image as deployed: by the digest apply finds for the reference. */
export function imageByDigest(refs: ImageRefs, kind: ImageKind): string {
  return `${imageName(refs[kind])}@\${${IMAGES[kind].digest}}`;
}

/** The digest Artifact Registry holds for an image reference, read at apply time into `name`. */
export function digestLookup(project: string, name: string, ref: string): Lookup {
  return {
    name,
    description: `the digest of ${ref}`,
    command: gcloudValue(project, 'image_summary.digest', 'artifacts', 'docker', 'images', 'describe', ref),
  };
}

export function digestLookups(config: GcpConfig, refs: ImageRefs): Lookup[] {
  return KINDS.map((kind) => digestLookup(config.project, IMAGES[kind].digest, refs[kind]));
}

const GCRANE_DIGEST = 'GCRANE_DIGEST';
const gcranePinned = (config: GcpConfig) => digestReference.safeParse(config.model.gcraneImage).success;

/**
 * The bake's push step image (GCRANE_IMAGE) by digest: as the config gives it, or by the digest apply finds for its
 * tag, so that every bake until the next apply runs the same gcrane.
 */
export function gcraneImage(config: GcpConfig): string {
  const ref = config.model.gcraneImage;
  return gcranePinned(config) ? ref : `${imageName(ref)}@\${${GCRANE_DIGEST}}`;
}

/**
 * `container images describe` reads the digest through the registry API, which serves a public image to anyone;
 * `artifacts docker images describe` would need rights in the project that owns gcr.io/go-containerregistry.
 */
export function gcraneLookups(config: GcpConfig): Lookup[] {
  const ref = config.model.gcraneImage;
  if (gcranePinned(config)) return [];
  return [
    {
      name: GCRANE_DIGEST,
      description: `the digest of ${ref}`,
      command: gcloudValue(config.project, 'image_summary.digest', 'container', 'images', 'describe', ref),
    },
  ];
}

/**
 * One action per image, so that apply checks both. Built here, either action's build makes both images: the
 * second action then finds its image in place.
 */
export function imageActions(config: GcpConfig, names: Names, inputs: ImageInputs, refs: ImageRefs): Action[] {
  const { project, region, registry } = config;
  const given = givenImages(config, inputs) !== undefined;
  // The substitutions of cloudbuild/load-tester.yaml, which names the images REGION-docker.pkg.dev/P/REPO/NAME.
  const build = gcloudRun(
    project,
    'builds',
    'submit',
    inputs.sourceDir,
    `--config=${posix.join(inputs.sourceDir, 'cloudbuild/load-tester.yaml')}`,
    // .gcloudignore leaves out what only the images need.
    '--ignore-file=.dockerignore',
    mapFlag('substitutions', { _REGION: region, _REPOSITORY: registry.pipeline, _TAG: `src-${inputs.sourceHash}` }),
    // A build as a service account of one's own must keep its logs in Cloud Logging or a bucket of one's own:
    // cloudbuild/load-tester.yaml sets logging: CLOUD_LOGGING_ONLY.
    `--service-account=${names.accountPath('builder')}`,
  );
  return KINDS.map((kind): Action => {
    const { label } = IMAGES[kind];
    const common = {
      id: label,
      kind: 'code',
      read: gcloudRead(project, 'artifacts', 'docker', 'images', 'describe', refs[kind]),
      diff: () => [],
    } as const;
    return given
      ? {
          ...common,
          description: `The ${label} ${refs[kind]} exists`,
          hint: 'push both images first (cloudbuild/load-tester.yaml), or give neither to let apply build them',
        }
      : {
          ...common,
          description: `Build and push the ${label} ${refs[kind]} from this source (Cloud Build)`,
          create: build,
        };
  });
}
