import { describe, expect, it } from 'vitest';
import { capacityConsole, consoleOutput } from '../../../../loadtest/outputs/console.js';
import { summaryFixture } from './summary-fixture.js';

describe('--progress off', () => {
  it('hides the progress, never the final result', async () => {
    let written = '';
    const stream = { write: (text: string) => (written += text), isTTY: true };
    const output = consoleOutput('off', { stream });
    output.start({ options: {} as never, description: 'open model', startMs: 0 });
    await output.stop(summaryFixture());
    expect(written).not.toContain('loadtest: open model');
    expect(written).toContain('model    resnet, version 3, signature serving_default\n');
    expect(written).toMatch(/requests 1003 .*\n.*p99 100\.000 ms[\s\S]*PASSED\n$/);
    written = '';
    capacityConsole('off', { stream }).stop(summaryFixture());
    expect(written).toMatch(/PASSED\n$/);
  });
});
