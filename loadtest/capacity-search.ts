import type { Capacity, CapacityProbe, Summary } from './summary.js';

/** `--find-capacity`: the bounds a probe must hold, where the search starts and how many probes it may run. */
export interface CapacityConfig {
  readonly p99BoundMs: number;
  /** Failed / total requests allowed, a ratio. */
  readonly errorsBound: number;
  /** The first probe's rate, req/s (--rate). */
  readonly startRps: number;
  readonly maxProbes: number;
}

/** Until a probe fails, each probe offers this many times the last one's rate (the bracket). */
export const GROWTH = 2;
/** The search ends when the bracket's upper end is within this ratio of its lower end (5%). */
export const PRECISION = 1.05;
/**
 * A probe is valid only if at most this share of its requests left late (LATE_AFTER_MS after their intended time)
 * and, unless its latency was already over the bound, at most this share was dropped at the in-flight cap.
 */
export const SCHEDULE_TOLERANCE = 0.01;
/** The last quarter of a probe's measured seconds must hold the p99 bound too: a queue still growing fails. */
const TAIL_SHARE = 0.25;

const pct = (ratio: number): string => `${Math.round(ratio * 10_000) / 100}%`;

/** Judges one probe's summary against the bounds: valid (the generator kept its schedule) and passed. */
export function judgeProbe(summary: Summary, rps: number, config: CapacityConfig): CapacityProbe {
  const { requests, latencyMs } = summary;
  const p99Ms = latencyMs.p99;
  const lateRatio = requests.total ? requests.late / requests.total : 0;
  const droppedRatio = requests.dropped / Math.max(1, requests.total + requests.dropped);
  const tailP99 = tailMedianP99(summary);
  const overLatency =
    p99Ms === null
      ? 'no request succeeded'
      : p99Ms > config.p99BoundMs
        ? `p99 ${p99Ms} ms > ${config.p99BoundMs} ms`
        : tailP99 !== null && tailP99 > config.p99BoundMs
          ? `p99 still rising: ${tailP99} ms in the last seconds > ${config.p99BoundMs} ms`
          : undefined;
  const overErrors =
    requests.errorRatio > config.errorsBound ? `errors ${pct(requests.errorRatio)} > ${pct(config.errorsBound)}` : '';
  const base = { rps, achievedRps: requests.rps, p99Ms, errors: requests.errorRatio };
  // Late sends are always the generator's. Drops are the generator's too while replies come back in time: the
  // in-flight cap then stopped a rate the server was holding (raise --max-in-flight). When the latency is over
  // the bound, replies were slow, in-flight requests piled up (Little's law) and the drops are the server's.
  if (lateRatio > SCHEDULE_TOLERANCE)
    return { ...base, valid: false, passed: false, reason: `generator behind: ${pct(lateRatio)} of requests late` };
  if (droppedRatio > SCHEDULE_TOLERANCE && overLatency === undefined)
    return {
      ...base,
      valid: false,
      passed: false,
      reason:
        `generator capped: ${pct(droppedRatio)} dropped at --max-in-flight ${summary.load.kind === 'open' ? summary.load.maxInFlight : ''}`.trim(),
    };
  const over = [overLatency, overErrors].filter(Boolean).join(', ');
  return { ...base, valid: true, passed: over === '', reason: over || 'within bounds' };
}

/** The median of the per-second p99 over the last quarter of the measured seconds (at least one second). */
function tailMedianP99(summary: Summary): number | null {
  const measured = summary.series.filter((p) => p.second * 1000 >= summary.warmupMs && p.p99 !== null);
  const tail = measured
    .slice(-Math.max(1, Math.floor(measured.length * TAIL_SHARE)))
    .map((p) => p.p99!)
    .sort((a, b) => a - b);
  return tail.length ? tail[Math.floor(tail.length / 2)]! : null;
}

/** What the search hands back: the capacity, and which probe's summary stands for it. */
export interface SearchResult {
  readonly capacity: Capacity;
  readonly summary: Summary;
  /** The probe whose summary it is. */
  readonly probeIndex: number;
}

/**
 * Raises the rate by GROWTH until a probe fails (or halves it while the first ones fail), then bisects the bracket
 * geometrically until it is within PRECISION. An invalid probe is tried again once; invalid twice, it ends the
 * search: the generator, not the server, set that limit, so it is never counted as the server's capacity.
 */
export async function searchCapacity(
  config: CapacityConfig,
  probe: (rps: number) => Promise<Summary>,
  onProbe: (probe: CapacityProbe, index: number) => void = () => undefined,
): Promise<SearchResult> {
  const probes: CapacityProbe[] = [];
  let best: { probe: CapacityProbe; summary: Summary; index: number } | undefined;
  let last: Summary | undefined;
  let upper: CapacityProbe | undefined;
  let limit: Capacity['limit'] = 'probes';
  let rps = config.startRps;
  while (probes.length < config.maxProbes) {
    const summary = await probe(rps);
    const judged = judgeProbe(summary, rps, config);
    probes.push(judged);
    onProbe(judged, probes.length - 1);
    last = summary;
    if (summary.stopped !== null) {
      limit = 'stopped';
      break;
    }
    if (!judged.valid) {
      // One stall of a shared machine can make a probe invalid: the same rate is tried once more, and only a
      // generator that falls behind twice in a row at a rate ends the search.
      if (probes.at(-2)?.valid === false && probes.at(-2)?.rps === rps) {
        limit = 'generator';
        break;
      }
      continue;
    }
    if (judged.passed) best = { probe: judged, summary, index: probes.length - 1 };
    else upper = judged;
    const lower = best?.probe.rps;
    if (upper !== undefined && lower !== undefined && upper.rps / lower <= PRECISION) {
      limit = 'server';
      break;
    }
    rps = upper === undefined ? rps * GROWTH : lower === undefined ? rps / GROWTH : Math.sqrt(lower * upper.rps);
    rps = Math.round(rps * 100) / 100;
  }
  const capacity: Capacity = {
    rps: best?.probe.achievedRps ?? null,
    p99Ms: best?.probe.p99Ms ?? null,
    p99BoundMs: config.p99BoundMs,
    errorsBound: config.errorsBound,
    limit,
    verdict: verdict(limit, best?.probe, upper, probes.at(-1)!),
    probes,
  };
  return {
    capacity,
    summary: { ...(best?.summary ?? last!), capacity, passed: capacity.rps !== null && limit === 'server' },
    probeIndex: best?.index ?? probes.length - 1,
  };
}

function verdict(
  limit: Capacity['limit'],
  best: CapacityProbe | undefined,
  upper: CapacityProbe | undefined,
  last: CapacityProbe,
): string {
  const held = best ? `${best.achievedRps} req/s (p99 ${best.p99Ms} ms)` : 'no rate tried';
  if (limit === 'stopped') return `stopped early; the most held before: ${held}`;
  if (limit === 'generator')
    return `the generator, not the server, was the limit at ${last.rps} req/s (${last.reason}): the server held ${held}, its capacity is at least that; give the generator more cores (--workers) or channels`;
  if (limit === 'server') return `capacity ${held}; ${upper!.rps} req/s was over (${upper!.reason})`;
  if (!best) return `no probe held the bounds, down to ${last.rps} req/s (${last.reason})`;
  if (!upper) return `the server held every rate tried, up to ${held}: its capacity is at least that (more probes)`;
  return `the probes ran out before the bracket closed: capacity between ${best.rps} and ${upper.rps} req/s; held ${held}`;
}
