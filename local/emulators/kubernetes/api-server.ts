import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { parse as parseYaml } from 'yaml';
import { validate, withDefaults } from './admission.js';
import { authenticate, type Users } from './authentication.js';
import type { KubeObject, ObjectStore } from './object-store.js';
import { authorized, forbidden } from './rbac.js';
import { requestInfo } from './request-info.js';
import {
  VERSION_INFO,
  apiGroupList,
  apiResourceList,
  apiVersions,
  findResource,
  groupVersion,
  type Resource,
} from './resources.js';
import { serverSideApply } from './server-side-apply.js';
import type { ServingCert } from './serving-cert.js';
import { listObjects, serveWatch, type ListQuery } from './watch.js';
import { asTable, TABLE_CONTENT_TYPE, wantsTable } from './table.js';

/**
 * The Kubernetes REST API for what the deployer uses: discovery, server-side apply (PATCH with
 * `application/apply-patch+yaml`, `fieldManager`, `force`), GET of an object or its status, list and watch with
 * label and field selectors, DELETE of an object (Background propagation: the Deployment controller stops the pods
 * of a Deployment that is gone, as the garbage collector and the kubelet do). Every request is authenticated by its bearer token (authentication.ts) and
 * authorized by RBAC (rbac.ts) before anything else, as kube-apiserver's filters do. Errors are `Status` objects
 * with the reason and code a real API server gives.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  body?: string;
}

export interface ApiServerOptions {
  store: ObjectStore;
  /** The bearer tokens the server accepts; a request without one of them is 401 Unauthorized. */
  users: Users;
  /** Serve https with this certificate; plain http without. */
  tls?: ServingCert;
  /** Sees every request as it arrives: tests show what a client sends. */
  onRequest?: (request: RecordedRequest) => void;
  /**
   * The kubelet's part of deleting a pod: terminate it gracefully. Returns the pod, now terminating, or undefined
   * when nothing runs it (the pod is then removed at once).
   */
  terminatePod?: (namespace: string, name: string) => KubeObject | undefined;
  now?: () => Date;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, string>,
  ) {
    super(message);
  }
}

/** apierrors.NewNotFound: `deployments.apps "web" not found`, with the name, group and resource. */
function notFound(resource: Resource, name: string): ApiError {
  const qualified = resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
  return new ApiError(404, 'NotFound', `${qualified} "${name}" not found`, {
    name,
    ...(resource.group ? { group: resource.group } : {}),
    kind: resource.plural,
  });
}

const MAX_BODY = 3 * 1024 * 1024;
const APPLY_PATCH = 'application/apply-patch+yaml';

function send(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  res.writeHead(code, { 'content-type': contentType }).end(JSON.stringify(body));
}

function status(err: ApiError): Record<string, unknown> {
  const { code, reason, message, details } = err;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'request entity too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The DeleteOptions a DELETE may carry as its body (kubectl sends its propagation policy there). */
function deleteOptions(text: string): { propagationPolicy?: string } {
  if (text.trim() === '') return {};
  try {
    const body = JSON.parse(text) as { propagationPolicy?: unknown };
    return typeof body.propagationPolicy === 'string' ? { propagationPolicy: body.propagationPolicy } : {};
  } catch (err) {
    throw new ApiError(
      400,
      'BadRequest',
      `error decoding DeleteOptions: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

interface Route {
  gv: string;
  namespace?: string;
  resource?: Resource;
  name?: string;
  subresource?: string;
}

/** `/api/v1/namespaces/NS/PLURAL/NAME/status` and its shorter forms. */
function route(path: string): Route | undefined {
  const segments = path.split('/').filter(Boolean);
  const [root, ...rest] = segments;
  let gv: string | undefined;
  if (root === 'api' && rest.length >= 1) gv = rest.shift();
  else if (root === 'apis' && rest.length >= 2) gv = `${rest.shift()}/${rest.shift()}`;
  if (!gv) return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest.splice(0, 2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (extra.length > 0) return undefined;
  if (plural === undefined) return { gv };
  const resource = findResource(gv, plural);
  if (!resource || (namespace !== undefined && !resource.namespaced))
    throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${gv} ${plural})`);
  return {
    gv,
    resource,
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
    ...(subresource ? { subresource } : {}),
  };
}

function listQuery(r: Route, query: URLSearchParams): ListQuery {
  if (!r.resource) throw new ApiError(404, 'NotFound', `no resource in ${r.gv}`);
  return {
    apiVersion: groupVersion(r.resource),
    kind: r.resource.kind,
    namespace: r.namespace,
    labelSelector: query.get('labelSelector') ?? undefined,
    fieldSelector: query.get('fieldSelector') ?? undefined,
  };
}

export function createApiServer(options: ApiServerOptions): Server {
  const { store } = options;
  const now = options.now ?? (() => new Date());

  function apply(
    r: Required<Pick<Route, 'resource' | 'name'>> & Route,
    query: URLSearchParams,
    req: IncomingMessage,
    text: string,
  ) {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
    if (contentType !== APPLY_PATCH) {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the emulator supports server-side apply only (${APPLY_PATCH}), not ${contentType}`,
      );
    }
    const manager = query.get('fieldManager');
    if (!manager) throw new ApiError(400, 'BadRequest', 'PATCH requests of type apply must supply a fieldManager');
    let body: unknown;
    try {
      body = parseYaml(text);
    } catch (err) {
      throw new ApiError(400, 'BadRequest', `error decoding YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
    const applied = body as KubeObject;
    const gv = groupVersion(r.resource);
    if (typeof body !== 'object' || body === null || applied.apiVersion !== gv || applied.kind !== r.resource.kind) {
      throw new ApiError(400, 'BadRequest', `the body must be a ${gv} ${r.resource.kind}`);
    }
    if (applied.metadata?.name !== r.name) {
      throw new ApiError(
        400,
        'BadRequest',
        `the name of the object (${String(applied.metadata?.name)}) does not match the name on the URL (${r.name})`,
      );
    }
    // A cluster-scoped object has no namespace, whatever the body says.
    if (r.namespace === undefined) delete applied.metadata.namespace;
    else if (applied.metadata.namespace !== undefined && applied.metadata.namespace !== r.namespace) {
      throw new ApiError(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    } else applied.metadata.namespace = r.namespace;
    const ref = { apiVersion: gv, kind: r.resource.kind, namespace: r.namespace, name: r.name };
    const existing = store.get(ref);
    const outcome = serverSideApply(existing, applied, manager, query.get('force') === 'true', now());
    if (!outcome.ok) {
      throw new ApiError(
        409,
        'Conflict',
        `Apply failed with ${outcome.conflicts.length} conflict(s): ${outcome.conflicts.join('; ')}`,
      );
    }
    const object = withDefaults(outcome.object);
    const problems = validate(object, existing);
    if (problems.length > 0) {
      throw new ApiError(422, 'Invalid', `${r.resource.kind} "${r.name}" is invalid: ${problems.join(', ')}`);
    }
    if (existing && !outcome.changed) return { code: 200, object: existing };
    if (object.kind === 'Deployment') {
      object.metadata.generation = (existing?.metadata.generation ?? 0) + (outcome.specChanged || !existing ? 1 : 0);
    }
    return { code: outcome.created ? 201 : 200, object: store.put(object, now()) };
  }

  function get(r: Route, query: URLSearchParams): unknown {
    if (!r.resource) {
      const list = apiResourceList(r.gv);
      if (!list) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${r.gv})`);
      return list;
    }
    const gv = groupVersion(r.resource);
    if (!r.name) {
      const items = listObjects(store, listQuery(r, query));
      return { kind: `${r.resource.kind}List`, apiVersion: gv, metadata: { resourceVersion: store.version }, items };
    }
    const found = store.get({ apiVersion: gv, kind: r.resource.kind, namespace: r.namespace, name: r.name });
    if (!found) throw notFound(r.resource, r.name);
    return found;
  }

  /**
   * Deletes at once, as Background propagation does for objects without finalizers. The answer is the object for
   * the kinds kube-apiserver returns it for (Services, Pods), else a Success Status naming it: Store.finalizeDelete.
   */
  function remove(r: Required<Pick<Route, 'resource' | 'name'>> & Route, query: URLSearchParams, text: string) {
    const policy = query.get('propagationPolicy') ?? deleteOptions(text).propagationPolicy ?? 'Background';
    if (policy !== 'Background') {
      throw new ApiError(
        400,
        'BadRequest',
        `the emulator deletes with propagationPolicy Background only, not ${policy}`,
      );
    }
    const ref = { apiVersion: groupVersion(r.resource), kind: r.resource.kind, namespace: r.namespace, name: r.name };
    const terminating =
      r.resource.kind === 'Pod' && r.namespace ? options.terminatePod?.(r.namespace, r.name) : undefined;
    const deleted = terminating ?? store.delete(ref);
    if (!deleted) throw notFound(r.resource, r.name);
    if (r.resource.deleteReturnsObject) return deleted;
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name: r.name,
        ...(r.resource.group ? { group: r.resource.group } : {}),
        kind: r.resource.plural,
        uid: deleted.metadata.uid,
      },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const body = req.method === 'PATCH' || req.method === 'DELETE' ? await readBody(req) : undefined;
    options.onRequest?.({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
      ...(body !== undefined ? { body } : {}),
    });
    const user = authenticate(req, options.users);
    if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    const info = requestInfo(req.method ?? '', url);
    if (!authorized(store, user, info)) {
      const refusal = forbidden(user, info);
      throw new ApiError(403, 'Forbidden', refusal.message, refusal.details);
    }
    if (req.method === 'GET' && url.pathname === '/api') return send(res, 200, apiVersions(req.headers.host ?? ''));
    if (req.method === 'GET' && url.pathname === '/apis') return send(res, 200, apiGroupList());
    if (req.method === 'GET' && url.pathname === '/version') return send(res, 200, VERSION_INFO);
    if (req.method === 'GET' && (url.pathname === '/healthz' || url.pathname === '/readyz')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const r = route(url.pathname);
    if (!r) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    if (r.subresource !== undefined && (r.subresource !== 'status' || req.method !== 'GET')) {
      throw new ApiError(405, 'MethodNotAllowed', `${req.method} of ${r.subresource} is not supported`);
    }
    const watch = url.searchParams.get('watch');
    if (req.method === 'GET' && r.resource && !r.name && (watch === 'true' || watch === '1')) {
      const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 1800);
      return serveWatch(res, store, listQuery(r, url.searchParams), timeout);
    }
    if (req.method === 'GET' && r.resource && r.subresource === undefined && wantsTable(req.headers.accept)) {
      const found = get(r, url.searchParams) as KubeObject & { items?: KubeObject[] };
      const table = asTable(r.resource.kind, r.name ? [found] : (found.items ?? []), {
        resourceVersion: store.version,
        includeObject: url.searchParams.get('includeObject'),
      });
      return send(res, 200, table, TABLE_CONTENT_TYPE);
    }
    if (req.method === 'GET') return send(res, 200, get(r, url.searchParams));
    if (
      req.method === 'PATCH' &&
      r.resource?.applicable &&
      r.name &&
      (r.namespace !== undefined) === r.resource.namespaced
    ) {
      const { code, object } = apply({ ...r, resource: r.resource, name: r.name }, url.searchParams, req, body ?? '');
      return send(res, code, object);
    }
    if (req.method === 'DELETE' && r.resource && r.name && (r.namespace !== undefined) === r.resource.namespaced) {
      return send(res, 200, remove({ ...r, resource: r.resource, name: r.name }, url.searchParams, body ?? ''));
    }
    throw new ApiError(405, 'MethodNotAllowed', `the emulator does not support ${req.method} ${url.pathname}`);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      const error =
        err instanceof ApiError
          ? err
          : new ApiError(500, 'InternalError', err instanceof Error ? err.message : String(err));
      send(res, error.code, status(error));
    });
  };
  return options.tls ? createHttpsServer(options.tls, listener) : createServer(listener);
}
