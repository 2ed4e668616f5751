import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Configuration from environment variables. Every variable is one row of SETTINGS (its doc, its parser, its
 * default); each function asks only for the rows it uses, and start-up fails with one ConfigError that lists
 * every problem at once, each with the variable to set. The README's configuration table is this table.
 */

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const list = (item: z.ZodType<string, string>) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1, 'must list at least one value'));
const bool = z.enum(['true', 'false', '1', '0']).transform((s) => s === 'true' || s === '1');
const positiveInt = z
  .string()
  .regex(/^\d+$/, 'must be a whole number')
  .transform(Number)
  .pipe(z.number().int().positive());

interface Setting<T> {
  doc: string;
  schema: z.ZodType<T, string>;
  /** Absent means required. */
  default?: string;
  secret?: boolean;
}

const setting = <T>(s: Setting<T>): Setting<T> => s;

export const SETTINGS = {
  GOOGLE_CLOUD_PROJECT: setting({ doc: 'Google Cloud project id.', schema: nonEmpty }),
  GITHUB_WEBHOOK_SECRET: setting({
    doc: 'Secret of the GitHub webhook (mount it from Secret Manager with --set-secrets).',
    schema: z.string().min(16, 'must be at least 16 characters (generate one with `openssl rand -hex 32`)'),
    secret: true,
  }),
  GITHUB_WEBHOOK_SECRET_PREVIOUS: setting({
    doc: 'The previous webhook secret, still accepted while a rotation is under way.',
    schema: z.string(),
    default: '',
    secret: true,
  }),
  ALLOWED_REPOSITORIES: setting({
    doc: 'Repositories whose releases are deployed, `owner/name`, comma separated.',
    schema: list(z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'each entry must be owner/name')),
  }),
  MODEL_ASSET_NAME: setting({
    doc: 'Name of the release asset holding the SavedModel; `*` and `?` globs allowed.',
    schema: nonEmpty,
    default: 'saved_model.tar.gz',
  }),
  ACCEPT_PRERELEASES: setting({ doc: 'Deploy prereleases too.', schema: bool, default: 'false' }),
  ACCEPT_DRAFTS: setting({ doc: 'Deploy draft releases too.', schema: bool, default: 'false' }),
  GITHUB_API_URL: setting({
    doc: 'GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3). Asset URLs must live under it.',
    schema: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    default: 'https://api.github.com',
  }),
  GITHUB_SERVER_URL: setting({
    doc: 'GitHub web base URL. Asset download URLs must live under it.',
    schema: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    default: 'https://github.com',
  }),
  GITHUB_TOKEN: setting({
    doc: 'Token that may write releases (contents: write), to put results on the release; empty: results go only to the run record.',
    schema: z.string(),
    default: '',
    secret: true,
  }),
  MAX_WEBHOOK_BYTES: setting({ doc: 'Largest webhook body accepted.', schema: positiveInt, default: '1048576' }),
} as const;

export type SettingName = keyof typeof SETTINGS;
type ValueOf<K extends SettingName> = (typeof SETTINGS)[K] extends Setting<infer T> ? T : never;
export type Config<K extends SettingName> = { [P in K]: ValueOf<P> };

/** Reads and validates the named settings; throws one ConfigError listing every bad or missing one. */
export function loadConfig<K extends SettingName>(
  names: readonly K[],
  env: Record<string, string | undefined> = process.env,
): Config<K> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const row: Setting<unknown> = SETTINGS[name];
    const raw = env[name] ?? row.default;
    if (raw === undefined) {
      problems.push(`${name} is not set: ${row.doc}`);
      continue;
    }
    const parsed = row.schema.safeParse(raw);
    if (parsed.success) out[name] = parsed.data;
    else {
      const shown = row.secret ? '(hidden)' : JSON.stringify(raw);
      problems.push(`${name}=${shown} ${parsed.error.issues.map((i) => i.message).join('; ')}: ${row.doc}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out as Config<K>;
}

/** The configuration table of the README, generated so that it cannot drift from the code. */
export function configTable(): string {
  const rows = Object.entries(SETTINGS).map(([name, s]: [string, Setting<unknown>]) => {
    const def = s.default === undefined ? '(required)' : s.default === '' ? '(empty)' : `\`${s.default}\``;
    return `| \`${name}\` | ${def} | ${s.doc} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
