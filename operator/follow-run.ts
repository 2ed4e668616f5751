import type { Firestore } from '@google-cloud/firestore';
import { ModelshipError } from '../shared/errors.js';
import { PIPELINE_STAGES } from '../shared/messages.js';
import { stageLine } from './run-view.js';
import type { RunRecord, StageRecord } from '../shared/store.js';

/** A run is over when it has an outcome and reportResults has written it (on the release too). */
export const isOver = (run: RunRecord): boolean =>
  run.status !== 'running' && (run.stages.report?.status === 'succeeded' || run.stages.report?.status === 'failed');

/**
 * Follows a run through its Firestore document (a snapshot listener: each change arrives as it is written), prints
 * each stage as it starts and ends, and resolves with the run once it is over, or rejects after `timeoutMs`.
 */
export function followRun(
  db: Firestore,
  runId: string,
  { print, timeoutMs, signal }: { print: (line: string) => void; timeoutMs: number; signal?: AbortSignal },
): Promise<RunRecord> {
  const seen = new Map<string, string>();
  return new Promise<RunRecord>((resolve, reject) => {
    let last: RunRecord | undefined;
    const stop = db
      .collection('runs')
      .doc(runId)
      .onSnapshot(
        (snap) => {
          if (!snap.exists) return;
          const run = snap.data() as RunRecord;
          last = run;
          for (const stage of PIPELINE_STAGES) {
            const record = run.stages[stage] as StageRecord | undefined;
            if (!record) continue;
            const key = `${record.status}:${JSON.stringify(record.details ?? {})}`;
            if (seen.get(stage) === key) continue;
            seen.set(stage, key);
            print(`  ${stageLine(stage, record)}`);
          }
          if (isOver(run)) {
            clearTimeout(timer);
            stop();
            resolve(run);
          }
        },
        (err) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    const timer = setTimeout(() => {
      stop();
      const where = last ? `; it got to ${PIPELINE_STAGES.filter((s) => last?.stages[s]).at(-1) ?? 'nothing'}` : '';
      reject(new ModelshipError(`run ${runId} did not finish within ${timeoutMs / 1000} s${where}`));
    }, timeoutMs);
    const interrupted = () => {
      clearTimeout(timer);
      stop();
      reject(new ModelshipError(`stopped following run ${runId}: interrupted`));
    };
    if (signal?.aborted) return interrupted();
    signal?.addEventListener('abort', interrupted, { once: true });
  });
}
