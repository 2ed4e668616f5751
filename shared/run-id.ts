import { randomBytes } from 'node:crypto';

/**
 * A run id follows one release through the whole pipeline. It sorts by time (`modelship runs` lists newest first)
 * and is unique without coordination: `YYYYMMDD-HHMMSS-` and 6 random hex digits, e.g. `20261125-144159-3fa9c1`.
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
