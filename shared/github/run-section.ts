import { armKey, armOf } from '../arm.js';
import { loadScenario } from '../deploy/scenario-loader.js';
import { scenarioVcpus, type Scenario } from '../deploy/scenario.js';
import { costPerMillion } from '../gate/cost-per-million.js';
import type { PipelineFailed } from '../messages.js';
import type { RunRecord, ScenarioRecord } from '../store.js';
import { failureSection, ms, reportCell, shortDigest } from './release-notes.js';

/**
 * A run's section of the release notes: the table of its candidates (each scenario of the release, and its baseline,
 * the release serving now), the gate's verdict with the deltas against the baseline, and what was promoted or why
 * nothing was. Rewritten in place as the run goes on (the gate's decision, then the promotion's outcome).
 */

const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '–' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** The scenario a candidate ran, when its file is still here. */
const scenarioOf = (name: string): Promise<Scenario | undefined> => loadScenario(name).catch(() => undefined);

async function row(key: string, c: ScenarioRecord): Promise<string> {
  const { scenario: name, arm } = armOf(key);
  const scenario = await scenarioOf(name);
  const f = c.figures;
  const label = arm === 'baseline' ? `${name} · baseline (serving \`${shortDigest(c.image ?? '')}\`)` : `**${name}**`;
  const vcpus = scenario ? String(scenarioVcpus(scenario)) : '?';
  if (!f) {
    return `| ${label} | ${vcpus} | – | – | – | – | ${c.status === 'failed' ? `failed at ${c.stage ?? '?'}: ${c.reason ?? ''}` : c.status} |`;
  }
  const rps = f.capacity?.rps ?? f.rps;
  const cost = scenario ? costPerMillion(rps, { replicas: scenario.replicas, node: scenario.node }) : null;
  const errors = f.requests ? `${((100 * f.failures) / f.requests).toFixed(2)}%` : '0.00%';
  const verdict =
    arm === 'baseline' ? 'baseline' : c.verdict ? (c.verdict.passed ? 'passed ✅' : 'refused ❌') : 'not judged yet';
  return `| ${label} | ${vcpus} | ${rps.toFixed(1)} req/s${f.capacity ? ' (capacity)' : ''} | ${ms(f.p50Ms)} / ${ms(f.p95Ms)} / ${ms(f.p99Ms)} | ${errors} | ${cost === null ? '–' : `$${cost.toFixed(3)}`} | ${verdict} |`;
}

function verdictLines(run: RunRecord): string[] {
  return Object.entries(run.scenarios ?? {}).flatMap(([key, c]) => {
    if (!c.verdict || armOf(key).arm === 'baseline') return [];
    const d = c.verdict.deltas;
    const deltas = d
      ? ` Against the serving release: p50 ${pct(d.p50)}, p95 ${pct(d.p95)}, p99 ${pct(d.p99)}, throughput ${pct(d.rps)}, errors ${pct(d.errors)}.`
      : '';
    return [`- **${key}**: ${c.verdict.reasons.join('; ')}.${deltas}`];
  });
}

function promotionLine(run: RunRecord): string {
  const p = run.promotion;
  if (!p) return '';
  if (p.status === 'promoted')
    return `**Promoted:** ${p.scenario} now serves \`${shortDigest(p.image ?? '')}\` (${p.reason}).`;
  if (p.status === 'pending')
    return p.scenario ? `**Promoting** ${p.scenario}: ${p.reason}.` : `**Nothing promoted:** ${p.reason}.`;
  return p.status === 'none' ? `**Nothing promoted:** ${p.reason}.` : `**Promotion failed:** ${p.reason}.`;
}

export async function runSection(run: RunRecord, failure?: PipelineFailed): Promise<string> {
  const candidates = Object.entries(run.scenarios ?? {});
  if (candidates.length === 0 && failure) return failureSection(failure);
  // Each scenario, then its baseline.
  const ordered = candidates
    .filter(([key]) => armOf(key).arm === 'release')
    .flatMap(([key, c]) => {
      const base = armKey(armOf(key).scenario, 'baseline');
      return [[key, c] as const, ...(run.scenarios?.[base] ? [[base, run.scenarios[base]] as const] : [])];
    });
  const rows = await Promise.all(ordered.map(([key, c]) => row(key, c)));
  const reports = ordered.flatMap(([key, c]) => (c.reportUrl ? [`${key}: ${reportCell(c.reportUrl)}`] : []));
  const headline = failure
    ? `failed at ${failure.stage} ❌`
    : run.promotion?.status === 'promoted'
      ? `${run.promotion.scenario} promoted ✅`
      : run.promotion?.status === 'pending'
        ? 'judged'
        : 'nothing promoted';
  return [
    `### modelship · ${candidates.length} candidate${candidates.length === 1 ? '' : 's'} · ${headline}`,
    '',
    '| candidate | vCPU | throughput | latency p50 / p95 / p99 | errors | cost per 1M predictions | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...verdictLines(run),
    '',
    promotionLine(run),
    ...(failure ? ['', `Failed at ${failure.stage}: ${failure.reason}`] : []),
    ...(reports.length ? ['', `Reports: ${reports.join(' · ')}`] : []),
    ...(run.comparisonUrl ? ['', `Side by side: ${reportCell(run.comparisonUrl)}`] : []),
    '',
    `<sub>run ${run.runId} · cost from on-demand prices (docs/gate.md)</sub>`,
  ].join('\n');
}
