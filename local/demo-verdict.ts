import type { RunRecord } from '../shared/store.js';

/**
 * What `npm start` must show (issue 14): the first release promoted, the second (slower) refused by the gate, and
 * the serving deployment still on the first release's digest. Anything else is a demo that did not show it.
 */
export function demoVerdict(runs: readonly RunRecord[], serving: string | undefined): { ok: boolean; line: string } {
  const [first, second] = runs;
  const promoted = first?.promotion?.status === 'promoted' ? first.promotion.image : undefined;
  if (!first || !promoted) {
    const why = first?.promotion?.reason ?? first?.failure?.reason ?? 'it did not run';
    return { ok: false, line: `✗ demo: the first release was not promoted (${why})` };
  }
  if (!second) return { ok: false, line: '✗ demo: the second release did not run' };
  if (second.promotion?.status === 'promoted' || second.status !== 'failed' || second.failure?.stage !== 'promote') {
    const what = second.failure ? `failed at ${second.failure.stage}: ${second.failure.reason}` : second.status;
    return { ok: false, line: `✗ demo: the slower release was not refused by the gate (${what})` };
  }
  if (serving !== promoted) {
    return {
      ok: false,
      line: `✗ demo: the serving deployment runs ${serving ?? 'nothing'}, not the first release's ${promoted}`,
    };
  }
  return {
    ok: true,
    line: `✓ demo: ${first.tag ?? first.runId} promoted; ${second.tag ?? second.runId}, slower, refused by the gate (${second.failure.reason}); the serving deployment still runs ${promoted}`,
  };
}
