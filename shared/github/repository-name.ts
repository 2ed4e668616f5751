/** `owner/name`, as GitHub's REST API takes it (`owner`, `repo`). Empty parts for a name without a slash. */
export function ownerAndRepo(repository: string): { owner: string; repo: string } {
  const [owner = '', repo = ''] = repository.split('/');
  return { owner, repo };
}
