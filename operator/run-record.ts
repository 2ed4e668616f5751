import { armOf } from '../shared/arm.js';
import type { RunRecord } from '../shared/store.js';

/**
 * A run as data: what `modelship runs show RUN_ID --json` prints and `modelship local release` writes to
 * DIR/runs/RUN_ID.json. Stable field names for scripts: every stage, each candidate with its figures and verdict, and
 * the promotion (the scenario now serving, or null with the reason).
 */
export function runRecord(run: RunRecord) {
  const candidates = Object.entries(run.scenarios ?? {}).map(([key, c]) => {
    const { scenario, arm } = armOf(key);
    const f = c.figures;
    return {
      key,
      scenario,
      arm,
      status: c.status,
      image: c.image ?? null,
      endpoint: c.endpoint ?? null,
      wave: c.wave ?? 0,
      figures: f
        ? {
            rps: f.rps,
            capacityRps: f.capacity?.rps ?? null,
            p50Ms: f.p50Ms,
            p95Ms: f.p95Ms,
            p99Ms: f.p99Ms,
            requests: f.requests,
            failures: f.failures,
            thresholdsPassed: f.thresholdsPassed,
          }
        : null,
      verdict: c.verdict ?? null,
      reportUrl: c.reportUrl ?? null,
      ...(c.status === 'failed' ? { failure: { stage: c.stage ?? null, reason: c.reason ?? null } } : {}),
    };
  });
  const p = run.promotion;
  return {
    runId: run.runId,
    status: run.status,
    release: run.repository ? { repository: run.repository, tag: run.tag ?? null } : null,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    stages: run.stages,
    serving: run.serving ?? null,
    candidates,
    promotion: p
      ? { scenario: p.scenario, image: p.image ?? null, status: p.status, reason: p.reason, requestedBy: p.requestedBy }
      : { scenario: null, image: null, status: 'none', reason: run.failure?.reason ?? 'not judged yet' },
    failure: run.failure ?? null,
  };
}
