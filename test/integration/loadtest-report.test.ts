import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareDirs } from '../../loadtest/compare.js';
import { runLoadTest } from '../../loadtest/engine.js';
import { startEchoServer } from '../../loadtest/testing/echo-server.js';
import { echoRequest, options } from '../unit/loadtest/support.js';

/** Opens a file in Debian's headless chromium: the DOM it built and the console messages it logged. */
function openInChromium(file: string): Promise<{ dom: string; console: string[] }> {
  const args = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--enable-logging=stderr',
    '--v=0',
    '--virtual-time-budget=2000',
    '--dump-dom',
    `file://${file}`,
  ];
  return new Promise((resolve, reject) => {
    execFile('chromium', args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`chromium failed (apt-get install -y chromium): ${err.message}\n${stderr}`));
      else resolve({ dom: stdout, console: stderr.split('\n').filter((line) => line.includes(':CONSOLE')) });
    });
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadtest-report-'));
  const server = await startEchoServer({ latencyMs: 5, failEvery: 10 });
  try {
    for (const [name, rate] of [
      ['fast', '100'],
      ['slow', '40'],
    ] as const) {
      await runLoadTest(
        options({ target: `127.0.0.1:${server.grpcPort}`, rate, duration: '2s', out: join(dir, name), scenario: name }),
        {
          prepare: echoRequest,
        },
      );
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
    const html = await readFile(join(dir, 'fast', 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const page = await openInChromium(join(dir, 'fast', 'report.html'));
    expect(page.console).toEqual([]);
    expect(page.dom.match(/<svg /g)).toHaveLength(5);
    expect(page.dom).toContain('grpc 14 UNAVAILABLE');
    expect(page.dom).toContain('Latency percentiles');
  });

  it('compares runs side by side: table, HTML and SVG', async () => {
    const comparison = await compareDirs([join(dir, 'fast'), join(dir, 'slow')]);
    expect(comparison.table).toMatch(/^run\s+requests\s+req\/s\s+p50 ms\s+p95 ms\s+p99 ms\s+errors/);
    expect(comparison.table).toMatch(/\nfast\s+200\s+100\s/);
    expect(comparison.table).toMatch(/\nslow\s+80\s+40\s/);
    expect(comparison.svg.match(/<rect x=/g)?.length).toBeGreaterThanOrEqual(2 + 6 + 2);
    const file = join(dir, 'compare.html');
    await writeFile(file, comparison.html);
    const page = await openInChromium(file);
    expect(page.console).toEqual([]);
    expect(page.dom.match(/<svg /g)).toHaveLength(4);
  });

  it('says which directory is not a run', async () => {
    await expect(compareDirs([join(dir, 'nothing')])).rejects.toThrow(/nothing: cannot read a load test summary/);
  });
});
