/**
 * What a request asks to do, in the terms authorizers decide on: k8s.io/apiserver's RequestInfoFactory. It reads
 * only the method and the URL, before the server knows whether the resource exists, so a request for a kind the
 * emulator does not serve (Secrets) is still refused as a real server refuses it.
 */

export interface ResourceRequest {
  kind: 'resource';
  /** get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  /** '' for the core group. */
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  /** '' for cluster-scoped requests. */
  namespace: string;
  /** '' for a collection or a create. */
  name: string;
}

export interface NonResourceRequest {
  kind: 'nonResource';
  verb: string;
  path: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;

const METHOD_VERBS: Record<string, string> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Subresources of a namespace itself, not resources inside it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function requestInfo(method: string, url: URL): RequestInfo {
  const methodVerb = METHOD_VERBS[method] ?? '';
  const nonResource: NonResourceRequest = { kind: 'nonResource', verb: method.toLowerCase(), path: url.pathname };
  const parts = url.pathname.split('/').filter(Boolean);
  // /api/v1 and /apis/apps/v1 are discovery, not resources.
  const prefix = parts.shift();
  if (prefix !== 'api' && prefix !== 'apis') return nonResource;
  if (parts.length < (prefix === 'apis' ? 3 : 2)) return nonResource;
  const apiGroup = prefix === 'apis' ? (parts.shift() ?? '') : '';
  const apiVersion = parts.shift() ?? '';
  let verb = methodVerb;
  if (parts[0] === 'watch' && parts.length >= 2) {
    verb = 'watch';
    parts.shift();
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1] ?? '';
    // /namespaces/NS/status is the namespace's own subresource; /namespaces/NS/pods are pods in it.
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts.splice(0, 2);
  }
  const [resource = '', name = '', subresource = ''] = parts;
  if (!name && verb === 'get') {
    const watch = url.searchParams.get('watch');
    verb = watch === 'true' || watch === '1' ? 'watch' : 'list';
  }
  if (!name && verb === 'delete') verb = 'deletecollection';
  return { kind: 'resource', verb, apiGroup, apiVersion, resource, subresource, namespace, name };
}
