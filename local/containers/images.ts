import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../shared/paths.js';
import { imageExists, podman, STACK_LABEL, ULIMIT_FLAGS } from './podman.js';

/**
 * Every image the local stack runs, built from the repository's Dockerfiles with podman and pushed to the local
 * registry, as `gcp apply` builds and pushes them in Google Cloud. Bases that cannot be pulled here are stand-ins,
 * made on this machine and named as such (`localhost/modelship-standin/…`):
 * - a Debian bookworm rootfs from mmdebstrap (Debian's mirror), once per machine;
 * - node:22-bookworm-slim: that rootfs with this machine's Node.js and npm (20.x here; local/images/node);
 * - the TF Serving base: the official image's layout and entrypoint, the simulator as the server (local/images/tfserving);
 * - gcrane:debug: crane's `mutate --append` over the registry API, with busybox's shell (local/images/gcrane);
 * - cloud-builders/docker: bash without a Docker engine, for the bake's optional smoke check (local/images/docker).
 * The production images (the root Dockerfile) are built unchanged but for the base, given as a build argument.
 * podman's layer cache makes a rebuild with no change take seconds.
 */

export const STANDIN = {
  debian: 'localhost/modelship-standin/debian:bookworm',
  node: 'localhost/modelship-standin/node:bookworm-slim',
  tfServing: 'localhost/modelship-standin/tfs-resnet-cpu-opt:local',
  gcrane: 'localhost/modelship-standin/gcrane:debug',
  docker: 'localhost/modelship-standin/cloud-builders-docker:latest',
} as const;

const BUILD_STAGE = 'localhost/modelship/build:local';

/** The images of the local stack, by digest in the local registry, and the stand-ins kept in podman's store. */
export interface LocalImages {
  registry: string;
  /** The bake steps' tool image (MODELSHIP_IMAGE). */
  modelship: string;
  /** The load-test job's image. */
  loadTester: string;
  /** The TF Serving base the bake appends the model to (BAKE_BASE_IMAGE). */
  tfServingBase: string;
  /** Google's builder images the Cloud Build emulator runs as local stand-ins, by the name a build config uses. */
  builders: Record<string, string>;
}

export interface BuildImagesOptions {
  /** HOST:PORT of the local registry the images are pushed to. */
  registry: string;
  /** Where the build output goes (a build prints hundreds of lines). */
  logFile: string;
  onStep?: (step: string) => void;
}

const run = promisify(execFile);

async function debianStandin(logFile: string): Promise<void> {
  if (await imageExists(STANDIN.debian)) return;
  const dir = mkdtempSync(join(tmpdir(), 'modelship-rootfs-'));
  try {
    const rootfs = join(dir, 'rootfs.tar');
    const { stderr } = await run(
      'mmdebstrap',
      ['--variant=minbase', '--include=ca-certificates,busybox-static', 'bookworm', rootfs],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    appendFileSync(logFile, stderr);
    await podman(['import', '--change', `LABEL ${STACK_LABEL}=standin`, rootfs, STANDIN.debian]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function build(logFile: string, args: string[]): Promise<void> {
  const out = await podman(
    ['build', '--network', 'host', '--pull=never', ...ULIMIT_FLAGS, '--label', `${STACK_LABEL}=image`, ...args],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  appendFileSync(logFile, out);
}

async function nodeStandin(logFile: string): Promise<void> {
  if (await imageExists(STANDIN.node)) return;
  const context = mkdtempSync(join(tmpdir(), 'modelship-node-'));
  try {
    cpSync(process.execPath, join(context, 'node'));
    const npmRoot = (await run('npm', ['root', '-g'])).stdout.trim();
    cpSync(join(npmRoot, 'npm'), join(context, 'npm'), { recursive: true });
    cpSync(
      process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt',
      join(context, 'ca-certificates.crt'),
    );
    await build(logFile, [
      '--build-arg',
      `DEBIAN_IMAGE=${STANDIN.debian}`,
      '-f',
      join(packageRoot, 'local/images/node/Dockerfile'),
      '-t',
      STANDIN.node,
      context,
    ]);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Pushes a local image to the registry; returns REGISTRY/REPO@sha256:… as pipelines name images. */
export async function pushImage(image: string, target: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'modelship-push-'));
  try {
    const digestFile = join(dir, 'digest');
    await podman(['push', '--tls-verify=false', '--digestfile', digestFile, image, target]);
    return `${target.replace(/:[^/:]+$/, '')}@${readFileSync(digestFile, 'utf8').trim()}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function buildLocalImages(o: BuildImagesOptions): Promise<LocalImages> {
  const step = o.onStep ?? (() => undefined);
  step('making the stand-in base images (Debian rootfs, Node.js), once per machine');
  await debianStandin(o.logFile);
  await nodeStandin(o.logFile);
  const dockerfile = join(packageRoot, 'Dockerfile');
  const base = ['--build-arg', `NODE_IMAGE=${STANDIN.node}`, '-f', dockerfile];
  step('building the modelship images from the Dockerfile');
  await build(o.logFile, [...base, '--target', 'build', '-t', BUILD_STAGE, packageRoot]);
  await build(o.logFile, [...base, '--target', 'modelship', '-t', 'localhost/modelship/modelship:local', packageRoot]);
  await build(o.logFile, [
    ...base,
    '--target',
    'load-tester',
    '-t',
    'localhost/modelship/load-tester:local',
    packageRoot,
  ]);
  step("building the stand-ins for the TF Serving base and Google's builders");
  for (const [name, tag] of [
    ['tfserving', STANDIN.tfServing],
    ['gcrane', STANDIN.gcrane],
    ['docker', STANDIN.docker],
  ] as const) {
    const file = join(packageRoot, 'local/images', name, 'Dockerfile');
    const from = [`MODELSHIP_BUILD=${BUILD_STAGE}`, `DEBIAN_IMAGE=${STANDIN.debian}`].flatMap((a) => [
      '--build-arg',
      a,
    ]);
    await build(o.logFile, [...from, '-f', file, '-t', tag, dirname(file)]);
  }
  step(`pushing the images to the local registry ${o.registry}`);
  const [modelship, loadTester, tfServingBase] = await Promise.all([
    pushImage('localhost/modelship/modelship:local', `${o.registry}/modelship/modelship:local`),
    pushImage('localhost/modelship/load-tester:local', `${o.registry}/modelship/load-tester:local`),
    pushImage(STANDIN.tfServing, `${o.registry}/standin/tfs-resnet-cpu-opt:local`),
  ]);
  return {
    registry: o.registry,
    modelship,
    loadTester,
    tfServingBase,
    builders: { 'gcr.io/go-containerregistry/gcrane': STANDIN.gcrane, 'gcr.io/cloud-builders/docker': STANDIN.docker },
  };
}
