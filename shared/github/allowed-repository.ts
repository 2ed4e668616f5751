/**
 * Whether ALLOWED_REPOSITORIES lets a repository's releases in: `owner/name` exactly, or `owner/*` for every
 * repository of an owner (an organisation publishing many models). GitHub's names are case-insensitive.
 */
export function repositoryAllowed(allowed: readonly string[], repository: string): boolean {
  const repo = repository.toLowerCase();
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    return e.endsWith('/*') ? repo.startsWith(e.slice(0, -1)) && !repo.slice(e.length - 1).includes('/') : e === repo;
  });
}
