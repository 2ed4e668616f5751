import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from '../../../../shared/github/signature.js';

// GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
const GITHUB_EXAMPLE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('verifySignature', () => {
  const body = Buffer.from('Hello, World!');
  it("matches GitHub's documented test vector", () => {
    expect(signBody(body, "It's a Secret to Everybody")).toBe(GITHUB_EXAMPLE);
    expect(verifySignature(body, GITHUB_EXAMPLE, ["It's a Secret to Everybody"])).toBe(true);
  });
  it('accepts any of the secrets, so a rotation drops nothing', () => {
    expect(verifySignature(body, GITHUB_EXAMPLE, ['new-secret', "It's a Secret to Everybody"])).toBe(true);
  });
  it.each([
    ['no header', undefined],
    ['the sha1 header format', 'sha1=757107ea0eb2509fc211221cce984b8a37570b6d'],
    ['a truncated digest', GITHUB_EXAMPLE.slice(0, 20)],
    ['non-hex garbage', 'sha256=zzzz'],
    ['another body', signBody('Hello, World?', "It's a Secret to Everybody")],
  ])('rejects %s', (_, header) => {
    expect(verifySignature(body, header, ["It's a Secret to Everybody"])).toBe(false);
  });
  it('ignores an empty secret (no previous secret configured)', () => {
    expect(verifySignature(body, signBody(body, ''), [''])).toBe(false);
  });
});
