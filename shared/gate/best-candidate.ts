import { scenarioVcpus, type Scenario } from '../deploy/scenario.js';
import type { LoadTestSummary } from '../messages.js';
import { costPerMillion } from './cost-per-million.js';
import { MACHINE_PRICES, type FamilyPrice } from './prices.js';

/** What bestCandidate needs of a scenario: what it costs (vCPU, nodes) and its name. */
export type CandidateScenario = Pick<Scenario, 'name' | 'replicas' | 'resources' | 'node'>;

export interface CandidateResult {
  /** The caller's id of the candidate (a scenario name, a candidate id): returned as it is. */
  key: string;
  scenario: CandidateScenario;
  figures: LoadTestSummary;
  verdict: { passed: boolean };
}

/**
 * 'throughput-per-vcpu' (the default): the most req/s per vCPU paid for (scenarioVcpus) with p99 under the bound.
 * 'cost-per-million': the lowest USD per million predictions (costPerMillion, prices.ts), p99 under the bound too.
 */
export type Objective = 'throughput-per-vcpu' | 'cost-per-million';

export interface BestCandidateOptions {
  objective?: Objective;
  /** The p99 a candidate must hold, ms; without it, each capacity search's own bound, else the thresholds alone. */
  p99BoundMs?: number;
  prices?: Readonly<Record<string, FamilyPrice>>;
}

export type BestCandidate = { key: string; scenario: string; why: string } | { key: null; reason: string };

/** The throughput a candidate held: its capacity when it searched for one, else its measured req/s. */
const rpsOf = (f: LoadTestSummary): number => (f.capacity ? (f.capacity.rps ?? 0) : f.rps);

interface Scored {
  candidate: CandidateResult;
  /** Higher is better. */
  score: number;
  text: string;
}

/**
 * The candidate to promote: among those that passed the gate and hold p99 under the bound, the best by the
 * objective. Ties (equal scores) go to the lower p99, then the fewer vCPU, then the key in alphabetical order, so
 * the choice never depends on the order of the list. `{ key: null, reason }` when none qualifies.
 */
export function bestCandidate(
  candidates: readonly CandidateResult[],
  options: BestCandidateOptions = {},
): BestCandidate {
  const objective = options.objective ?? 'throughput-per-vcpu';
  if (candidates.length === 0) return { key: null, reason: 'no candidate was measured' };
  const passed = candidates.filter((c) => c.verdict.passed);
  if (passed.length === 0) return { key: null, reason: `no candidate passed the gate (${candidates.length} measured)` };
  const bound = (c: CandidateResult) => options.p99BoundMs ?? c.figures.capacity?.p99BoundMs;
  const bounded = passed.filter((c) => {
    const b = bound(c);
    return b === undefined || c.figures.p99Ms <= b;
  });
  if (bounded.length === 0) {
    const worst = passed.map((c) => `${c.key} ${c.figures.p99Ms} ms`).join(', ');
    return { key: null, reason: `no passing candidate held p99 under the bound (${worst})` };
  }
  const scored: Scored[] = [];
  const unpriced: string[] = [];
  for (const candidate of bounded) {
    const rps = rpsOf(candidate.figures);
    const vcpus = scenarioVcpus(candidate.scenario);
    if (objective === 'throughput-per-vcpu') {
      const perVcpu = rps / vcpus;
      scored.push({
        candidate,
        score: perVcpu,
        text: `${perVcpu.toFixed(2)} req/s per vCPU (${rps} req/s on ${vcpus} vCPU)`,
      });
      continue;
    }
    const cost = costPerMillion(rps, candidate.scenario, options.prices ?? MACHINE_PRICES);
    if (cost === null) unpriced.push(candidate.key);
    else scored.push({ candidate, score: -cost, text: `$${cost.toFixed(2)} per 1M predictions (${rps} req/s)` });
  }
  if (scored.length === 0) {
    return { key: null, reason: `no price for the machine types of ${unpriced.join(', ')} (shared/gate/prices.ts)` };
  }
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      a.candidate.figures.p99Ms - b.candidate.figures.p99Ms ||
      scenarioVcpus(a.candidate.scenario) - scenarioVcpus(b.candidate.scenario) ||
      (a.candidate.key < b.candidate.key ? -1 : 1),
  );
  const [best, next] = scored as [Scored, Scored | undefined];
  const { key, scenario, figures } = best.candidate;
  const tie =
    next && next.score === best.score ? `, tied with ${next.candidate.key} and chosen by lower p99, vCPU, name` : '';
  const rest = next ? `; next ${next.candidate.key}: ${next.text}` : '';
  const skipped = unpriced.length ? `; not priced: ${unpriced.join(', ')}` : '';
  return {
    key,
    scenario: scenario.name,
    why: `${objective}: ${best.text}, p99 ${figures.p99Ms} ms${tie}${rest}${skipped}`,
  };
}
