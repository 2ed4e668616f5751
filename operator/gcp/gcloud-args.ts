import type { Command } from './action.js';

/** gcloud command lines as the plan writes them: always with an explicit --project, reads always as JSON. */

/** A read of one resource, printed as JSON. */
export function gcloudRead(project: string, ...argv: string[]): Command {
  return { argv: ['gcloud', ...argv, `--project=${project}`, '--format=json'] };
}

/** One value of a resource (`--format=value(path)`), for lookups. */
export function gcloudValue(project: string, path: string, ...argv: string[]): Command {
  return { argv: ['gcloud', ...argv, `--project=${project}`, `--format=value(${path})`] };
}

export function gcloudRun(project: string, ...argv: string[]): Command {
  return { argv: ['gcloud', ...argv, `--project=${project}`] };
}

/**
 * `--FLAG=K=V,K=V`. When a value holds a comma, gcloud's alternate delimiter syntax (`^|^K=V|K=V`) keeps the
 * list intact (DEPLOY_SCENARIOS and ALLOWED_REPOSITORIES are comma-separated lists themselves).
 */
export function mapFlag(flag: string, values: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(values).map(([k, v]) => `${k}=${v}`);
  const delimiter = pairs.some((p) => p.includes(',')) ? '|' : ',';
  return `--${flag}=${delimiter === ',' ? '' : '^|^'}${pairs.join(delimiter)}`;
}

/** The seconds of a gcloud duration such as `540s`. */
export function seconds(duration: string): number {
  return Number(duration.replace(/s$/, ''));
}
