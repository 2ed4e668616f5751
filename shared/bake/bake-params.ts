import type { Config } from '../config.js';
import type { ModelReleased } from '../messages.js';

/** The settings a bake reads: what goes into the build's substitutions, and how the build runs. */
export const BAKE_SETTINGS = [
  'MODELSHIP_IMAGE',
  'TARGET_IMAGE_REPOSITORY',
  'BASE_IMAGE',
  'GCRANE_IMAGE',
  'BAKE_MODEL_NAME',
  'BAKE_MODEL_VERSION',
  'BAKE_MAX_ASSET_BYTES',
  'BAKE_MAX_FILES',
  'BAKE_MAX_EXTRACTED_BYTES',
  'BAKE_SMOKE_CHECK',
  'BUILD_TIMEOUT',
  'BUILD_MACHINE_TYPE',
  'BAKE_SERVICE_ACCOUNT',
  'GITHUB_TOKEN_SECRET',
  'GITHUB_API_URL',
] as const;

export type BakeConfig = Config<(typeof BAKE_SETTINGS)[number]>;

/**
 * A Docker tag for a release tag: Docker allows `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, GitHub allows more (`release/1`,
 * `v1+build`). Other characters become `-`; a tag with nothing usable left is named after the release id.
 */
export function dockerTag(releaseTag: string, releaseId: number): string {
  const tag = releaseTag
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128);
  return tag || `release-${releaseId}`;
}

/** The substitutions of cloudbuild/bake-model.yaml for one release. */
export function bakeSubstitutions(message: ModelReleased, config: BakeConfig): Record<string, string> {
  return {
    _ASSET_URL: message.asset.url,
    _GITHUB_REPOSITORY: message.repository,
    _GITHUB_API_URL: config.GITHUB_API_URL,
    _TAG: dockerTag(message.release.tag, message.release.id),
    _TARGET_IMAGE: config.TARGET_IMAGE_REPOSITORY,
    _MODELSHIP_IMAGE: config.MODELSHIP_IMAGE,
    _MODEL_NAME: config.BAKE_MODEL_NAME,
    _MODEL_VERSION: String(config.BAKE_MODEL_VERSION),
    _BASE_IMAGE: config.BASE_IMAGE,
    _GCRANE_IMAGE: config.GCRANE_IMAGE,
    _MAX_ASSET_BYTES: String(config.BAKE_MAX_ASSET_BYTES),
    _MAX_FILES: String(config.BAKE_MAX_FILES),
    _MAX_EXTRACTED_BYTES: String(config.BAKE_MAX_EXTRACTED_BYTES),
    _SMOKE_CHECK: String(config.BAKE_SMOKE_CHECK),
    ...(config.GITHUB_TOKEN_SECRET ? { _GITHUB_TOKEN_SECRET: config.GITHUB_TOKEN_SECRET } : {}),
  };
}
