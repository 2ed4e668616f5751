/** An OWNER/NAME as GitHub allows it, without the `.` and `..` that would move a URL built from it elsewhere. */
const REPOSITORY = /^(?!\.\.?\/)[\w.-]+\/(?!\.\.?$)[\w.-]+$/;

/**
 * The one kind of URL modelship downloads a model from, and sends the GitHub token to: the API URL of a release
 * asset of the releasing repository, `API/repos/OWNER/NAME/releases/assets/ID` (compared without case, as GitHub
 * names are). The webhook checks it when the release arrives, bakeModel again before it submits the build, and the
 * bake's fetch step before it downloads: each trusts only what it checks. Returns what is wrong, or undefined.
 */
export function assetUrlProblem(
  url: string,
  expected: { apiUrl: string; repository: string; id?: number },
): string | undefined {
  const base = `${expected.apiUrl}/repos/${expected.repository}/releases/assets/`;
  const id = url.slice(base.length);
  const ok =
    REPOSITORY.test(expected.repository) &&
    url.toLowerCase().startsWith(base.toLowerCase()) &&
    /^[1-9]\d*$/.test(id) &&
    (expected.id === undefined || id === String(expected.id));
  return ok ? undefined : `${url} is not ${base}${expected.id ?? 'ID'}, a release asset of ${expected.repository}`;
}
