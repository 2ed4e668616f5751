import type { PipelineFailed } from '../messages.js';

/**
 * What modelship writes on a release. GitHub has no comments on releases, so each outcome is a section of the
 * release notes between HTML-comment markers, one per run and scenario: visible on the release page, and
 * replaced in place when a message is redelivered, never written twice.
 */

const begin = (key: string) => `<!-- modelship:${key}:begin -->`;
const end = (key: string) => `<!-- modelship:${key}:end -->`;

/** Inserts or replaces the section `key` of a release body. */
export function upsertSection(body: string | null | undefined, key: string, markdown: string): string {
  const section = `${begin(key)}\n${markdown.trim()}\n${end(key)}`;
  const text = body ?? '';
  const from = text.indexOf(begin(key));
  const to = text.indexOf(end(key));
  if (from >= 0 && to > from) return text.slice(0, from) + section + text.slice(to + end(key).length);
  return text.trim() ? `${text.trimEnd()}\n\n${section}\n` : `${section}\n`;
}

export function hasSection(body: string | null | undefined, key: string, markdown: string): boolean {
  return (body ?? '').includes(`${begin(key)}\n${markdown.trim()}\n${end(key)}`);
}

export const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
export const shortDigest = (image: string) => image.replace(/^.*@sha256:([a-f0-9]{12}).*$/, 'sha256:$1…');

const CONSOLE_URL = /^https:\/\/storage\.cloud\.google\.com\//;

/**
 * The report row. The figures that matter are in the section itself; the full report stays in the private report
 * bucket, linked by its authenticated browser URL (storage.cloud.google.com): it opens, after a Google sign-in, for
 * readers with read access to the bucket, and says so. Not a signed URL: that would need the job to sign as its
 * service account (iam.serviceAccounts.signBlob), and the link would die after at most 7 days on a release that stays.
 */
export function reportCell(address: string): string {
  // A gs:// address opens nowhere in a browser: the same object at its authenticated browser URL.
  const url = address.replace(/^gs:\/\//, 'https://storage.cloud.google.com/');
  // Named by its file: report.html, or the run's compare.html.
  const name = url.split('/').at(-1) || 'report.html';
  if (CONSOLE_URL.test(url)) return `[${name}](${url}) (Google sign-in; needs read access to the report bucket)`;
  if (url.startsWith('file://')) return `\`${url.slice('file://'.length)}\` on the machine that ran the test`;
  if (/^https?:\/\//.test(url)) return `[${name}](${url})`;
  return 'none written';
}

export function failureSection(m: PipelineFailed): string {
  return [
    `### modelship · ${m.scenario ? `${m.scenario} · ` : ''}failed at ${m.stage} ❌`,
    '',
    m.reason,
    ...(m.detailsUrl ? ['', `Details: ${m.detailsUrl}`] : []),
    '',
    `<sub>run ${m.runId}</sub>`,
  ].join('\n');
}
