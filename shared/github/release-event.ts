import { z } from 'zod';

/** The part of GitHub's `release` webhook payload that the pipeline reads. */
export const ReleaseAsset = z.object({
  id: z.number().int().positive(),
  name: z.string().min(1),
  url: z.string(),
  browser_download_url: z.string(),
  size: z.number().int().nonnegative(),
  state: z.string().optional(),
  /** `sha256:…` of the content; GitHub gives it for assets uploaded since mid-2025, null for older ones. */
  digest: z
    .string()
    .regex(/^sha256:[a-f0-9]{64}$/)
    .nullish()
    .transform((d) => d ?? undefined),
});

export const ReleaseEvent = z.object({
  action: z.string(),
  release: z.object({
    id: z.number().int().positive(),
    tag_name: z.string().min(1),
    name: z.string().nullable(),
    html_url: z.string(),
    draft: z.boolean(),
    prerelease: z.boolean(),
    assets: z.array(ReleaseAsset),
  }),
  repository: z.object({
    full_name: z.string().regex(/^[^/]+\/[^/]+$/),
    private: z.boolean().optional(),
  }),
});

export type ReleaseAsset = z.infer<typeof ReleaseAsset>;
export type ReleaseEvent = z.infer<typeof ReleaseEvent>;
