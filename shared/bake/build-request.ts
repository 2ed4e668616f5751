import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { protos } from '@google-cloud/cloudbuild';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { packageRoot } from '../paths.js';
import type { BakeConfig } from './bake-params.js';

/**
 * The bake build: cloudbuild/bake-model.yaml is the one definition of its steps, used as is by hand (gcloud builds
 * submit) and read here by bakeModel, which adds what the function decides: substitutions, tags, timeout, machine.
 */

export type BuildRequest = protos.google.devtools.cloudbuild.v1.IBuild;

const Step = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    entrypoint: z.string().optional(),
    args: z.array(z.string()).default([]),
    env: z.array(z.string()).optional(),
    secretEnv: z.array(z.string()).optional(),
    dir: z.string().optional(),
    waitFor: z.array(z.string()).optional(),
  })
  .strict();

const BakeTemplate = z
  .object({
    substitutions: z.record(z.string().regex(/^_[A-Z0-9_]+$/), z.string()),
    steps: z.array(Step).min(1),
    availableSecrets: z
      .object({ secretManager: z.array(z.object({ versionName: z.string(), env: z.string() }).strict()) })
      .strict()
      .optional(),
    options: z
      .object({
        logging: z.enum(['LEGACY', 'GCS_ONLY', 'CLOUD_LOGGING_ONLY', 'NONE']).optional(),
        substitutionOption: z.enum(['MUST_MATCH', 'ALLOW_LOOSE']).optional(),
      })
      .strict()
      .optional(),
    timeout: z
      .string()
      .regex(/^\d+s$/)
      .optional(),
    tags: z.array(z.string()).default([]),
  })
  .strict();

export type BakeTemplate = z.infer<typeof BakeTemplate>;

export const BAKE_TEMPLATE_FILE = join(packageRoot, 'cloudbuild', 'bake-model.yaml');
/** Every build modelship submits carries this tag; onBuildFinished ignores the others. */
export const MODELSHIP_TAG = 'modelship';
export const runTag = (runId: string): string => `run-${runId}`;
const TOKEN_SECRET = '_GITHUB_TOKEN_SECRET';

export function loadBakeTemplate(file = BAKE_TEMPLATE_FILE): BakeTemplate {
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) throw new ConfigError(doc.errors.map((e) => `${file}: ${e.message}`));
  const parsed = BakeTemplate.safeParse(doc.toJS());
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((i) => `${file}: ${i.path.join('.')}: ${i.message}`));
  return parsed.data;
}

/**
 * The Build to submit for a run. Substitutions must be declared in the template (Cloud Build's MUST_MATCH would
 * refuse the build otherwise); without a token secret, the secret and its use are left out, for public repositories.
 */
export function bakeBuild(
  template: BakeTemplate,
  run: {
    runId: string;
    substitutions: Record<string, string>;
    config: Pick<BakeConfig, 'BUILD_TIMEOUT' | 'BUILD_MACHINE_TYPE' | 'BAKE_SERVICE_ACCOUNT'>;
  },
): BuildRequest {
  const undeclared = Object.keys(run.substitutions).filter((k) => !(k in template.substitutions));
  if (undeclared.length)
    throw new Error(`substitutions ${undeclared.join(', ')} are not declared in ${BAKE_TEMPLATE_FILE}`);
  const withToken = TOKEN_SECRET in run.substitutions;
  const substitutions = { ...template.substitutions, ...run.substitutions };
  if (!withToken) delete substitutions[TOKEN_SECRET];
  return {
    steps: template.steps.map(({ secretEnv, ...step }) => (withToken && secretEnv ? { ...step, secretEnv } : step)),
    substitutions,
    ...(withToken && template.availableSecrets ? { availableSecrets: template.availableSecrets } : {}),
    options: { ...template.options, machineType: run.config.BUILD_MACHINE_TYPE },
    timeout: { seconds: run.config.BUILD_TIMEOUT },
    tags: [...new Set([...template.tags, MODELSHIP_TAG, runTag(run.runId)])],
    // Its own identity (least privilege) rather than the project's default Cloud Build account; the template's
    // CLOUD_LOGGING_ONLY is what a build with a user-chosen service account requires.
    ...(run.config.BAKE_SERVICE_ACCOUNT ? { serviceAccount: run.config.BAKE_SERVICE_ACCOUNT } : {}),
  };
}
