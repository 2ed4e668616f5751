import { escapeHtml } from './html.js';

/** Inline SVG charts for the report and the comparison: plain markup, readable offline and in any viewer. */

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 720;
const H = 240;
const M = { left: 64, right: 16, top: 28, bottom: 40 };

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number | null])[];
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

function legend(names: readonly string[]): string {
  return names
    .map((name, i) => {
      const lx = W - M.right - 130 * (names.length - i);
      return `<rect x="${lx}" y="6" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 14}" y="15" font-size="11">${escapeHtml(name)}</text>`;
    })
    .join('');
}

export function lineChart(title: string, yLabel: string, xLabel: string, series: readonly LineSeries[]): string {
  const xs = series.flatMap((s) => s.points.map(([px]) => px));
  const ys = series.flatMap((s) => s.points.map(([, py]) => py ?? 0));
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  const x = (v: number): number => M.left + ((W - M.left - M.right) * (v - xMin)) / (xMax - xMin || 1);
  const step = niceStep(xMax - xMin, 8);
  const ticks: string[] = [];
  for (let v = Math.ceil(xMin / step) * step; v <= xMax; v += step)
    ticks.push(`<text x="${x(v)}" y="${H - M.bottom + 14}" font-size="11" text-anchor="middle">${fmt(v)}</text>`);
  return frame(
    title,
    yLabel,
    xLabel,
    Math.max(0, ...ys),
    (y) => {
      const lines = series.map((s, i) => {
        // A null point breaks the line (a second without a successful request has no latency).
        const runs = s.points.reduce<string[][]>(
          (acc, [px, py]) => {
            if (py === null) acc.push([]);
            else acc.at(-1)!.push(`${x(px).toFixed(1)},${y(py).toFixed(1)}`);
            return acc;
          },
          [[]],
        );
        return runs
          .filter((r) => r.length > 0)
          .map(
            (r) =>
              `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${r.join(' ')}"/>`,
          )
          .join('');
      });
      return lines.join('\n') + legend(series.map((s) => s.name));
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
      return bars.join('\n') + legend(series.map((s) => s.name));
    },
    { ticks },
  );
}
