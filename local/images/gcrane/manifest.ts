import { z } from 'zod';

/**
 * The two image manifest formats a registry serves, Docker's schema 2 and OCI's, and their lists for several
 * platforms. Only the fields the stand-in reads are checked; the others are kept as they are (loose objects), so a
 * mutated manifest or config says everything the base said.
 */

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** The layer media type that goes with a manifest's own: a Docker image gets Docker layers, an OCI image OCI ones. */
export const GZIP_LAYER_TYPE: Record<ImageManifestType, string> = {
  [MEDIA_TYPES.dockerManifest]: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  [MEDIA_TYPES.ociManifest]: 'application/vnd.oci.image.layer.v1.tar+gzip',
};

export type ImageManifestType = typeof MEDIA_TYPES.dockerManifest | typeof MEDIA_TYPES.ociManifest;

export const ACCEPT_MANIFESTS = Object.values(MEDIA_TYPES).join(', ');

const descriptor = z.looseObject({ mediaType: z.string(), digest: z.string(), size: z.number() });
export type Descriptor = z.infer<typeof descriptor>;

export const imageManifest = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptor,
  layers: z.array(descriptor),
});
export type ImageManifest = z.infer<typeof imageManifest>;

export const imageIndex = z.looseObject({
  manifests: z.array(
    descriptor.extend({
      platform: z.looseObject({ os: z.string(), architecture: z.string() }).optional(),
    }),
  ),
});

export const imageConfig = z.looseObject({
  config: z.looseObject({ Env: z.array(z.string()).nullish() }).optional(),
  rootfs: z.looseObject({ type: z.string(), diff_ids: z.array(z.string()) }),
  history: z.array(z.looseObject({})).optional(),
});
export type ImageConfig = z.infer<typeof imageConfig>;

export function isImageManifestType(mediaType: string): mediaType is ImageManifestType {
  return mediaType === MEDIA_TYPES.dockerManifest || mediaType === MEDIA_TYPES.ociManifest;
}

export function isIndexType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.dockerList || mediaType === MEDIA_TYPES.ociIndex;
}
