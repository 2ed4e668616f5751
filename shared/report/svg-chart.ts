import { escapeHtml, FAIL_COLOR, PASS_COLOR } from './html.js';

/** Inline SVG charts for the reports and the comparisons: plain markup, readable offline and in any viewer. */

/** No red and no green among the series: those two say a threshold failed or held. */
const COLORS = ['#1f77b4', '#ff7f0e', '#9467bd', '#8c564b', '#17becf', '#e377c2', '#7f7f7f', '#bcbd22'];
export const CHART_WIDTH = 720;
export const CHART_HEIGHT = 260;
const W = CHART_WIDTH;
const H = CHART_HEIGHT;
/** The title on the first line, the legend on the second, the plot below both. */
const M = { left: 64, right: 16, top: 46, bottom: 40 };

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number | null])[];
  /** Default: the next colour of the palette. */
  readonly color?: string;
  /** A bound rather than a measurement: drawn dashed, on whole pixels. */
  readonly dashed?: boolean;
}

/** A threshold to draw: its expression, its limit in the chart's unit, and whether it held. */
export interface Bound {
  readonly name: string;
  readonly value: number;
  readonly ok: boolean;
}

/** A horizontal line from `from` to `to` at the bound: red when it failed, green when it held. */
export function boundLine(bound: Bound, from: number, to: number): LineSeries {
  return {
    name: bound.name,
    points: [
      [from, bound.value],
      [to, bound.value],
    ],
    color: bound.ok ? PASS_COLOR : FAIL_COLOR,
    dashed: true,
  };
}

export interface XTick {
  readonly at: number;
  readonly label: string;
}

/** 1, 2 or 5 times a power of ten, so ticks read well. */
function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
}

const fmt = (n: number): string =>
  Math.abs(n) >= 1000 ? `${Math.round(n / 100) / 10}k` : `${Math.round(n * 100) / 100}`;

function frame(
  title: string,
  yLabel: string,
  xLabel: string,
  yMax: number,
  body: (y: (v: number) => number) => string,
  x: { ticks: string },
): string {
  const step = niceStep(yMax || 1, 5);
  const top = Math.ceil((yMax || 1) / step) * step;
  const y = (v: number): number => M.top + (H - M.top - M.bottom) * (1 - v / top);
  const grid: string[] = [];
  for (let v = 0; v <= top + step / 2; v += step) {
    grid.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    grid.push(`<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${fmt(v)}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${M.left}" y="16" font-size="13" font-weight="bold">${escapeHtml(title)}</text>
${grid.join('\n')}
<text x="14" y="${(H - M.bottom + M.top) / 2}" font-size="11" transform="rotate(-90 14 ${(H - M.bottom + M.top) / 2})" text-anchor="middle">${escapeHtml(yLabel)}</text>
<text x="${(W + M.left) / 2}" y="${H - 4}" font-size="11" text-anchor="middle">${escapeHtml(xLabel)}</text>
${x.ticks}
${body(y)}
</svg>`;
}

/** One line under the title, left to right, each entry as wide as its name: never over the title or the plot. */
function legend(entries: readonly { name: string; color: string }[]): string {
  let lx = M.left;
  return entries
    .map(({ name, color }) => {
      const entry = `<rect x="${lx}" y="24" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="33" font-size="11">${escapeHtml(name)}</text>`;
      lx += 24 + name.length * 6.5;
      return entry;
    })
    .join('');
}

export function lineChart(
  title: string,
  yLabel: string,
  xLabel: string,
  series: readonly LineSeries[],
  options: { xTicks?: readonly XTick[] } = {},
): string {
  const xs = series.flatMap((s) => s.points.map(([px]) => px));
  const ys = series.flatMap((s) => s.points.map(([, py]) => py ?? 0));
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  const x = (v: number): number => M.left + ((W - M.left - M.right) * (v - xMin)) / (xMax - xMin || 1);
  const tickAt = (at: number, label: string): string =>
    `<text x="${x(at)}" y="${H - M.bottom + 14}" font-size="11" text-anchor="middle">${escapeHtml(label)}</text>`;
  const ticks: string[] = [];
  if (options.xTicks) ticks.push(...options.xTicks.filter((t) => t.at <= xMax).map((t) => tickAt(t.at, t.label)));
  else {
    const step = niceStep(xMax - xMin, 8);
    for (let v = Math.ceil(xMin / step) * step; v <= xMax; v += step) ticks.push(tickAt(v, fmt(v)));
  }
  const colored = series.map((s, i) => ({ ...s, color: s.color ?? COLORS[i % COLORS.length]! }));
  return frame(
    title,
    yLabel,
    xLabel,
    Math.max(0, ...ys),
    (y) => {
      const lines = colored.map((s) => {
        // A bound sits on whole pixels, so its colour is drawn exactly (the screenshot test looks for it).
        const py = (v: number): string => (s.dashed ? String(Math.round(y(v))) : y(v).toFixed(1));
        const style = s.dashed ? 'stroke-width="2" stroke-dasharray="8 4"' : 'stroke-width="1.5"';
        // A null point breaks the line (a second without a successful request has no latency).
        const runs = s.points.reduce<string[][]>(
          (acc, [px, v]) => {
            if (v === null) acc.push([]);
            else acc.at(-1)!.push(`${x(px).toFixed(1)},${py(v)}`);
            return acc;
          },
          [[]],
        );
        return runs
          .filter((r) => r.length > 0)
          .map((r) => `<polyline fill="none" stroke="${s.color}" ${style} points="${r.join(' ')}"/>`)
          .join('');
      });
      return lines.join('\n') + legend(colored);
    },
    { ticks: ticks.join('') },
  );
}

/** Grouped bars: one group per category (a run), one bar per series (a metric). */
export function barChart(
  title: string,
  yLabel: string,
  categories: readonly string[],
  series: readonly { name: string; values: readonly number[] }[],
): string {
  const all = series.flatMap((s) => s.values);
  const band = (W - M.left - M.right) / Math.max(1, categories.length);
  const bar = (band * 0.8) / Math.max(1, series.length);
  const ticks = categories
    .map(
      (c, i) =>
        `<text x="${M.left + band * (i + 0.5)}" y="${H - M.bottom + 14}" font-size="11" text-anchor="middle">${escapeHtml(c)}</text>`,
    )
    .join('');
  return frame(
    title,
    yLabel,
    '',
    Math.max(0, ...all),
    (y) => {
      const bars = series.flatMap((s, j) =>
        s.values.map((v, i) => {
          const bx = M.left + band * i + band * 0.1 + bar * j;
          return `<rect x="${bx.toFixed(1)}" y="${y(v).toFixed(1)}" width="${bar.toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" fill="${COLORS[j % COLORS.length]}"><title>${escapeHtml(`${categories[i]}: ${s.name} ${fmt(v)}`)}</title></rect>`;
        }),
      );
      return bars.join('\n') + legend(series.map((s, j) => ({ name: s.name, color: COLORS[j % COLORS.length]! })));
    },
    { ticks },
  );
}
