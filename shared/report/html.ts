/** Small helpers for the self-contained HTML files: no script, no external resource (the CSP forbids both). */

/** A failed threshold, in the tables and on the charts alike; a threshold that held. */
export const FAIL_COLOR = '#d00000';
export const PASS_COLOR = '#1a7f37';

export function escapeHtml(text: string | number | null): string {
  return String(text ?? '-').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

type Cell = string | number | null;

/** A table with a header row; `rowClass` marks rows (`pass`, `fail`) by index. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  rowClass: (index: number) => string | undefined = () => undefined,
): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r, i) => {
      const cls = rowClass(i);
      return `<tr${cls ? ` class="${cls}"` : ''}>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Label and value pairs: each row headed by its label, and no header row (it would have nothing to say). */
export function facts(rows: readonly (readonly [string, Cell])[]): string {
  const body = rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`);
  return `<table class="facts"><tbody>\n${body.join('\n')}\n</tbody></table>`;
}

/** 1536 → 1.5 KB: bytes as people read them (binary units, as HTTP tools print them). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.facts th{font-weight:normal}.facts td{text-align:left}
.pass,tr.pass td{color:${PASS_COLOR}}.fail,tr.fail td{color:${FAIL_COLOR}}.pass,.fail,tr.fail td{font-weight:bold}
.warn{background:#fff4d6;border:1px solid #e0b84c;padding:.5em 1em}
svg{display:block;margin:.5em 0}`;

/** A whole page: inline CSS, inline SVG, and a Content-Security-Policy that allows nothing else. */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}
