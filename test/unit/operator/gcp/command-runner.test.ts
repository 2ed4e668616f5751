import { describe, expect, it } from 'vitest';
import { createProcessRunner, NOT_INSTALLED } from '../../../../operator/gcp/command-runner.js';

describe('createProcessRunner', () => {
  const run = createProcessRunner({ PATH: process.env.PATH ?? '', BASE: 'kept' });
  const script = [
    'let input = "";',
    'process.stdin.on("data", (d) => (input += d));',
    'process.stdin.on("end", () => {',
    '  console.log(JSON.stringify({ args: process.argv.slice(1), input, env: [process.env.BASE, process.env.EXTRA, process.env.CLOUDSDK_CORE_DISABLE_PROMPTS] }));',
    '  console.error("to stderr");',
    '  process.exit(Number(process.argv[1]));',
    '});',
  ].join('\n');

  it('passes argv without a shell, stdin and env, and returns the exit code and both outputs', async () => {
    const result = await run([process.execPath, '-e', script, '3', "it's $HOME"], {
      stdin: 'secret-on-stdin',
      env: { EXTRA: 'x' },
    });
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual({
      args: ['3', "it's $HOME"],
      input: 'secret-on-stdin',
      env: ['kept', 'x', '1'],
    });
    expect(result.stderr).toBe('to stderr\n');
  });

  it('answers 127 for a command that is not installed', async () => {
    expect(await run(['modelship-no-such-command-xyz'])).toEqual({
      code: NOT_INSTALLED,
      stdout: '',
      stderr: 'modelship-no-such-command-xyz: command not found',
    });
  });
});
