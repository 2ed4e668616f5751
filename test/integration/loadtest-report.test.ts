import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareDirs } from '../../loadtest/compare.js';
import { runLoadTest } from '../../loadtest/engine.js';
import { startEchoServer } from '../../loadtest/testing/echo-server.js';
import { FAIL_COLOR, PASS_COLOR } from '../../shared/report/html.js';
import { SAMPLE_PARAMETERS } from '../support/serving-parameters.js';
import { echoRequest, options } from '../unit/loadtest/support.js';

/**
 * The report and the comparison as a person sees them: opened in Debian's headless chromium, offline, with no
 * console message (the CSP holds), and screenshotted. The screenshots go to a temporary directory; with
 * UPDATE_SCREENSHOTS=1 they are written to docs/img/ as well, which docs/loadtest.md shows.
 */
const DOCS_IMG = join(import.meta.dirname, '..', '..', 'docs', 'img');
const WIDTH = 1200;

/** Runs chromium headless on a file: its stdout (the DOM with --dump-dom) and the console messages it logged. */
function chromium(file: string, mode: string[]): Promise<{ stdout: string; console: string[] }> {
  const args = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--hide-scrollbars',
    '--force-device-scale-factor=1',
    '--enable-logging=stderr',
    '--v=0',
    '--virtual-time-budget=2000',
    ...mode,
    `file://${file}`,
  ];
  return new Promise((resolve, reject) => {
    execFile('chromium', args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`chromium failed (apt-get install -y chromium): ${err.message}\n${stderr}`));
      else resolve({ stdout, console: stderr.split('\n').filter((line) => line.includes(':CONSOLE')) });
    });
  });
}

const openInChromium = async (file: string) => {
  const { stdout, console } = await chromium(file, ['--dump-dom']);
  return { dom: stdout, console };
};

/** The PNG's pixels, RGB. */
async function pixels(png: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** A screenshot of the page, WIDTH wide and tall enough for all of it; for docs/img, cut below the last ink. */
async function screenshot(file: string, name: string): Promise<{ png: string; console: string[] }> {
  const png = join(dir, `${name}.png`);
  const { console } = await chromium(file, [`--screenshot=${png}`, `--window-size=${WIDTH},4400`]);
  if (process.env.UPDATE_SCREENSHOTS) {
    const { data, width, height } = await pixels(png);
    let last = height - 1;
    while (last > 0 && data.subarray(last * width * 3, (last + 1) * width * 3).every((v) => v === 255)) last -= 1;
    await mkdir(DOCS_IMG, { recursive: true });
    await sharp(png)
      .extract({ left: 0, top: 0, width, height: Math.min(height, last + 24) })
      .png({ palette: true, compressionLevel: 9 })
      .toFile(join(DOCS_IMG, `loadtest-${name}.png`));
  }
  return { png, console };
}

/** The most pixels of exactly `color` in any one row: a dashed threshold line across a chart gives hundreds. */
async function widestRowOf(png: string, color: string): Promise<number> {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  const { data, width, height } = await pixels(png);
  let widest = 0;
  for (let y = 0; y < height; y++) {
    let count = 0;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (data[i] === r && data[i + 1] === g && data[i + 2] === b) count += 1;
    }
    widest = Math.max(widest, count);
  }
  return widest;
}

const deployment = {
  scenario: '2n-8c-16r-interop4',
  arm: 'release',
  runId: '20261207-100000-f17f5f',
  image: `127.0.0.1:8091/modelship/serving@sha256:${'ec3edd8d8448'.repeat(5).slice(0, 64)}`,
  model: 'resnet',
  release: { repository: 'modelship/sample-model', tag: 'v1.0.0' },
  parameters: SAMPLE_PARAMETERS,
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadtest-report-'));
  // A stall of 60 ms every second gives the latency a tail to draw.
  const server = await startEchoServer({ latencyMs: 5, failEvery: 50, stall: { everyMs: 1000, forMs: 60 } });
  const target = `127.0.0.1:${server.grpcPort}`;
  try {
    const runs: [string, Record<string, string | string[]>][] = [
      ['passing', { rate: '100', duration: '3s', threshold: ['p99<500ms', 'errors<5%'] }],
      ['failing', { rate: '40', duration: '3s', threshold: ['p99<20ms', 'errors<5%'] }],
      ['closed', { users: '4', 'spawn-rate': '4', duration: '2s' }],
    ];
    for (const [name, values] of runs) {
      const given = { target, out: join(dir, name), scenario: '2n-8c-16r-interop4', ...values };
      await runLoadTest(options({ ...given, deployment: JSON.stringify({ ...deployment, runId: name }) }), {
        prepare: echoRequest,
      });
    }
  } finally {
    await server.stop();
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('report.html and compare in a real browser', () => {
  it('detects console errors (the check below can fail)', async () => {
    const bad = join(dir, 'bad.html');
    await writeFile(bad, '<!DOCTYPE html><p>x</p><script>console.error("broken")</script>');
    expect((await openInChromium(bad)).console.join('\n')).toContain('broken');
  });

  it('opens report.html offline with its five charts and no console message', async () => {
    const html = await readFile(join(dir, 'passing', 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const page = await openInChromium(join(dir, 'passing', 'report.html'));
    expect(page.console).toEqual([]);
    expect(page.dom.match(/<svg /g)).toHaveLength(5);
    expect(page.dom).toContain('grpc 14 UNAVAILABLE');
    expect(page.dom).toContain('Latency by percentile (HDR)');
    expect(page.dom).toContain('2 × n2-custom-8-16384');
  });

  it('draws a threshold that held in green, and one that failed in red, on the screen', async () => {
    const passing = await screenshot(join(dir, 'passing', 'report.html'), 'report-passing');
    expect(passing.console).toEqual([]);
    expect(await widestRowOf(passing.png, PASS_COLOR)).toBeGreaterThan(200);
    expect(await widestRowOf(passing.png, FAIL_COLOR)).toBeLessThan(50);
    const failing = await screenshot(join(dir, 'failing', 'report.html'), 'report-failing');
    expect(failing.console).toEqual([]);
    expect(await widestRowOf(failing.png, FAIL_COLOR)).toBeGreaterThan(200);
  });

  it('compares runs side by side: table, HTML, SVG and a screenshot', async () => {
    const runs = ['passing', 'failing', 'closed'].map((name) => join(dir, name));
    const comparison = await compareDirs(runs);
    expect(comparison.table).toMatch(/^run\s+requests\s+req\/s\s+Δ req\/s\s+p50 ms/);
    expect(comparison.table).toMatch(/\n2n-8c-16r-interop4 · passing\s+300\s+100\s+baseline\s/);
    expect(comparison.table).toMatch(/\n2n-8c-16r-interop4 · failing\s+120\s+40\s+-60\.0%\s/);
    expect(comparison.warnings).toEqual([expect.stringContaining('the load models differ')]);
    expect(comparison.svg.match(/<rect x=/g)?.length).toBeGreaterThanOrEqual(3 + 9 + 3);
    const file = join(dir, 'compare.html');
    await writeFile(file, comparison.html);
    const page = await openInChromium(file);
    expect(page.console).toEqual([]);
    expect(page.dom.match(/<svg /g)).toHaveLength(4);
    expect((await screenshot(file, 'compare')).console).toEqual([]);
  });

  it('says which directory is not a run', async () => {
    await expect(compareDirs([join(dir, 'nothing')])).rejects.toThrow(/nothing: cannot read a load test summary/);
  });
});
