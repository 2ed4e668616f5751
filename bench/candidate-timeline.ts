import { readFileSync } from 'node:fs';

/** The moments of one candidate, s after a reference (the bake's end), from the functions' own log lines. */
export interface CandidateMoments {
  /** deployScenario starts applying its objects. */
  applying?: number;
  /** Its rollout is done and its endpoint recorded. */
  deployed?: number;
  /** launchLoadTest has started its Cloud Run execution. */
  launched?: number;
  /** reportResults has its load test's figures. */
  ended?: number;
}

const MOMENTS: Record<string, keyof CandidateMoments> = {
  'applying scenario': 'applying',
  'scenario deployed': 'deployed',
  'load test launched': 'launched',
  'candidate ended': 'ended',
};

interface LogLine {
  message?: string;
  time?: string;
  role?: string;
  'logging.googleapis.com/labels'?: { runId?: string; scenario?: string };
}

/**
 * Each candidate's moments in a stack's functions.log (JSON lines, one per log call): where the time of a release
 * with several candidates goes, which the run record cannot say (it keeps one deploy and one load-test stage per
 * run, the last candidate's). A promotion's rollout (role serving) is not a candidate's.
 */
export function candidateTimeline(logFile: string, since: string): Record<string, CandidateMoments> {
  const t0 = Date.parse(since);
  const timeline: Record<string, CandidateMoments> = {};
  for (const text of readFileSync(logFile, 'utf8').split('\n')) {
    if (!text.startsWith('{')) continue;
    const line = JSON.parse(text) as LogLine;
    const moment = MOMENTS[line.message ?? ''];
    const key = line['logging.googleapis.com/labels']?.scenario;
    if (!moment || !key || !line.time || (line.role && line.role !== 'candidate')) continue;
    (timeline[key] ??= {})[moment] ??= (Date.parse(line.time) - t0) / 1000;
  }
  return timeline;
}

/** The span from the earliest to the latest of one moment across candidates, s: 0 when they happen together. */
export function stagger(timeline: Record<string, CandidateMoments>, moment: keyof CandidateMoments): number {
  const at = Object.values(timeline)
    .map((m) => m[moment])
    .filter((t): t is number => t !== undefined);
  return at.length ? Math.max(...at) - Math.min(...at) : NaN;
}
