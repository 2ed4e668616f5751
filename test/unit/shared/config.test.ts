import { describe, expect, it } from 'vitest';
import { configTable, loadConfig } from '../../../shared/config.js';
import { ConfigError } from '../../../shared/errors.js';

describe('loadConfig', () => {
  it('parses, trims and defaults the settings it is asked for', () => {
    const config = loadConfig(['ALLOWED_REPOSITORIES', 'MODEL_ASSET_NAME', 'ACCEPT_DRAFTS', 'MAX_WEBHOOK_BYTES'], {
      ALLOWED_REPOSITORIES: ' a/b , c/d,',
    });
    expect(config).toEqual({
      ALLOWED_REPOSITORIES: ['a/b', 'c/d'],
      MODEL_ASSET_NAME: 'saved_model.tar.gz',
      ACCEPT_DRAFTS: false,
      MAX_WEBHOOK_BYTES: 1048576,
    });
  });

  it('lists every problem at once, each with the variable to set', () => {
    let error: unknown;
    try {
      loadConfig(['GOOGLE_CLOUD_PROJECT', 'GITHUB_WEBHOOK_SECRET', 'ALLOWED_REPOSITORIES', 'MAX_WEBHOOK_BYTES'], {
        GITHUB_WEBHOOK_SECRET: 'short',
        ALLOWED_REPOSITORIES: 'not-a-repo',
        MAX_WEBHOOK_BYTES: '-3',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^GOOGLE_CLOUD_PROJECT is not set/);
    expect(problems[1]).toMatch(/^GITHUB_WEBHOOK_SECRET=\(hidden\) must be at least 16 characters/);
    expect(problems[2]).toMatch(/^ALLOWED_REPOSITORIES="not-a-repo" each entry must be owner\/name/);
    expect(problems[3]).toMatch(/^MAX_WEBHOOK_BYTES="-3" must be a whole number/);
    expect(message).not.toContain('short');
  });

  it('asks only for what it is given to read', () => {
    expect(() => loadConfig(['MODEL_ASSET_NAME'], {})).not.toThrow();
  });

  it('renders the README table from the same rows', () => {
    const table = configTable();
    expect(table).toContain('| `GITHUB_WEBHOOK_SECRET` | (required) |');
    expect(table).toContain('| `MODEL_ASSET_NAME` | `saved_model.tar.gz` |');
  });
});
