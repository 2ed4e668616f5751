/** Small helpers for the self-contained HTML files: no script, no external resource (the CSP forbids both). */

export function escapeHtml(text: string | number | null): string {
  return String(text ?? '-').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function table(headers: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.pass{color:#176b2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}.warn{background:#fff4d6;border:1px solid #e0b84c;padding:.5em 1em}
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
