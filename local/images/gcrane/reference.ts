/**
 * Image references as go-containerregistry's name package reads them: REGISTRY/REPOSITORY[:TAG|@sha256:HEX]. The
 * first component is the registry when it has a dot or a port or is `localhost`; otherwise the image is Docker Hub's,
 * which this stand-in refuses anyway (it talks only to a registry on this machine).
 */

export interface ImageReference {
  registry: string;
  repository: string;
  /** A tag or a digest (sha256:…): what goes after /manifests/ in the registry API. */
  reference: string;
  /** The reference as it was written, for messages. */
  text: string;
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseReference(text: string): ImageReference {
  const invalid = (why: string) => new Error(`could not parse reference ${JSON.stringify(text)}: ${why}`);
  const at = text.indexOf('@');
  let name = at === -1 ? text : text.slice(0, at);
  let reference = at === -1 ? 'latest' : text.slice(at + 1);
  if (at !== -1 && !DIGEST.test(reference)) throw invalid('a digest is sha256: and 64 hex digits');
  const colon = name.lastIndexOf(':');
  if (at === -1 && colon > name.lastIndexOf('/')) {
    reference = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(reference)) throw invalid(`invalid tag ${JSON.stringify(reference)}`);
  }
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const explicit = first.includes('.') || first.includes(':') || first === 'localhost';
  const registry = explicit ? first : 'index.docker.io';
  let repository = explicit ? name.slice(slash + 1) : name;
  if (!explicit && !repository.includes('/')) repository = `library/${repository}`;
  if (!REPOSITORY.test(repository)) throw invalid(`invalid repository ${JSON.stringify(repository)}`);
  return { registry, repository, reference, text };
}

/** Whether the registry is on this machine (go-containerregistry, too, speaks plain http to these). */
export function isLoopback(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
