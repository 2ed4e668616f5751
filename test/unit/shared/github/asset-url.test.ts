import { describe, expect, it } from 'vitest';
import { assetUrlProblem } from '../../../../shared/github/asset-url.js';

const API = 'https://api.github.com';
const expected = { apiUrl: API, repository: 'Octo/Model', id: 42 };

describe('assetUrlProblem', () => {
  it.each([
    `${API}/repos/Octo/Model/releases/assets/42`,
    `${API}/repos/octo/model/releases/assets/42`,
    'HTTPS://API.GITHUB.COM/repos/OCTO/MODEL/releases/assets/42',
  ])('accepts the release asset URL of the repository: %s', (url) => {
    expect(assetUrlProblem(url, expected)).toBeUndefined();
  });

  it.each([
    `${API}/repos/Octo/Model/releases/assets/43`,
    `${API}/repos/Octo/Other/releases/assets/42`,
    `${API}/repos/Octo/Model/releases/assets/42/`,
    `${API}/repos/Octo/Model/releases/assets/42?x=1`,
    `${API}/repos/Octo/Model/releases/assets/042`,
    `${API}.evil.example/repos/Octo/Model/releases/assets/42`,
    `http://api.github.com/repos/Octo/Model/releases/assets/42`,
    `https://evil.example/${API}/repos/Octo/Model/releases/assets/42`,
    `${API}/repos/Octo/Model/releases/42`,
  ])('refuses %s, saying what it should be', (url) => {
    expect(assetUrlProblem(url, expected)).toBe(
      `${url} is not ${API}/repos/Octo/Model/releases/assets/42, a release asset of Octo/Model`,
    );
  });

  it('takes any asset id when none is expected (the bake step knows the repository only)', () => {
    const { id: _, ...withoutId } = expected;
    expect(assetUrlProblem(`${API}/repos/Octo/Model/releases/assets/7`, withoutId)).toBeUndefined();
    expect(assetUrlProblem(`${API}/repos/Octo/Model/releases/assets/x`, withoutId)).toMatch(/assets\/ID, a release/);
  });

  it.each(['../Model', 'Octo/..', './Model', 'Octo/.', 'Octo', 'a/b/c'])(
    'refuses a repository %j that would move the URL elsewhere',
    (repository) => {
      const url = `${API}/repos/${repository}/releases/assets/42`;
      expect(assetUrlProblem(url, { apiUrl: API, repository, id: 42 })).toMatch(/ is not /);
    },
  );

  it('works under a GitHub Enterprise API path', () => {
    const apiUrl = 'https://ghe.example.com/api/v3';
    expect(assetUrlProblem(`${apiUrl}/repos/o/n/releases/assets/1`, { apiUrl, repository: 'o/n' })).toBeUndefined();
    expect(
      assetUrlProblem(`https://ghe.example.com/repos/o/n/releases/assets/1`, { apiUrl, repository: 'o/n' }),
    ).toMatch(/ is not /);
  });
});
