import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { errorMessage } from '../../../shared/errors.js';
import { sha256Digest } from './digest.js';
import { ACCEPT_MANIFESTS } from './manifest.js';

/**
 * The OCI distribution API calls crane makes to push an image, against one registry on this machine (plain http, as
 * go-containerregistry uses for localhost; no credentials: the local registry has none). Errors read as crane's:
 * `METHOD URL: CODE: message; detail`.
 */

/** In the registry's log, so that the bytes a bake moved can be told from everyone else's. */
export const USER_AGENT = 'modelship-gcrane-standin';

export interface FetchedManifest {
  bytes: Buffer;
  /** The body's mediaType, or the Content-Type the registry served it with (OCI manifests may omit the field). */
  mediaType: string;
  digest: string;
}

/** What a blob upload sends: bytes in memory (a config) or a file streamed from disk (a layer). */
export type BlobSource = { bytes: Buffer } | { path: string; size: number };

export class RegistryClient {
  private readonly base: string;

  constructor(registry: string) {
    this.base = `http://${registry}/v2/`;
  }

  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const url = this.url(`${repository}/manifests/${reference}`);
    const res = await call('GET', url, [200], { headers: { accept: ACCEPT_MANIFESTS } });
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference)
      throw new Error(`GET ${url}: the registry served a manifest whose digest is ${digest}`);
    const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
    const mediaType = typeof declared === 'string' ? declared : (res.headers.get('content-type') ?? '').split(';')[0]!;
    return { bytes, mediaType: mediaType.trim(), digest };
  }

  /** A blob small enough to hold in memory (an image config), checked against its digest. */
  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const url = this.url(`${repository}/blobs/${digest}`);
    const bytes = Buffer.from(await (await call('GET', url, [200])).arrayBuffer());
    if (sha256Digest(bytes) !== digest) throw new Error(`GET ${url}: the blob's content does not match its digest`);
    return bytes;
  }

  async blobExists(repository: string, digest: string): Promise<boolean> {
    const res = await call('HEAD', this.url(`${repository}/blobs/${digest}`), [200, 404]);
    return res.status === 200;
  }

  /**
   * Links a blob of another repository of the same registry into this one, without its bytes moving. A registry that
   * will not mount answers 202 with an upload session; the stand-in cancels it and fails rather than copy the layer.
   */
  async mountBlob(repository: string, digest: string, from: string): Promise<void> {
    const query = new URLSearchParams({ mount: digest, from });
    const url = this.url(`${repository}/blobs/uploads/?${query}`);
    const res = await call('POST', url, [201, 202]);
    await res.body?.cancel();
    if (res.status === 201) return;
    const location = res.headers.get('location');
    // Best effort: the session would expire anyway, and the mount's failure is the error worth reporting.
    if (location)
      await call('DELETE', new URL(location, url).href, [204]).then(
        (r) => r.body?.cancel(),
        () => undefined,
      );
    throw new Error(`POST ${url}: the registry did not mount ${digest} from ${from} (202 Accepted, not 201 Created)`);
  }

  /** A monolithic upload: open a session, then PUT the whole blob to it with its digest. */
  async uploadBlob(repository: string, digest: string, source: BlobSource): Promise<void> {
    const start = this.url(`${repository}/blobs/uploads/`);
    const session = await call('POST', start, [202]);
    await session.body?.cancel();
    const location = session.headers.get('location');
    if (!location) throw new Error(`POST ${start}: the registry gave no Location for the upload`);
    const target = new URL(location, start);
    target.searchParams.set('digest', digest);
    if ('bytes' in source) {
      const headers = { 'content-type': 'application/octet-stream' };
      await (await call('PUT', target.href, [201], { headers, body: source.bytes })).body?.cancel();
    } else await putFile(target, source);
  }

  /** Returns the digest the registry stored the manifest under, checked against the bytes sent. */
  async putManifest(repository: string, reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    const url = this.url(`${repository}/manifests/${reference}`);
    const res = await call('PUT', url, [201], { headers: { 'content-type': mediaType }, body: bytes });
    await res.body?.cancel();
    const digest = sha256Digest(bytes);
    const stored = res.headers.get('docker-content-digest');
    if (stored && stored !== digest) throw new Error(`PUT ${url}: the registry stored ${stored}, not ${digest}`);
    return digest;
  }

  private url(path: string): string {
    return new URL(path, this.base).href;
  }
}

interface CallInit {
  headers?: Record<string, string>;
  body?: Buffer;
}

async function call(method: string, url: string, expected: number[], init: CallInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { method, headers: { ...init.headers, 'user-agent': USER_AGENT }, body: init.body ?? null });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new Error(`${method} ${url}: ${cause}`, { cause: err });
  }
  if (expected.includes(res.status)) return res;
  throw new Error(`${method} ${url}: ${describeFailure(res.status, method === 'HEAD' ? '' : await res.text())}`);
}

/**
 * A layer's PUT through node:http rather than fetch: fetch reads a streamed request body ahead of the socket, holding
 * most of a large layer in memory; a pipeline into the request waits for the socket to drain.
 */
async function putFile(url: URL, file: { path: string; size: number }): Promise<void> {
  const fail = (why: string) => new Error(`PUT ${url.href}: ${why}`);
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': file.size, 'user-agent': USER_AGENT },
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.once('error', reject);
    });
    pipeline(createReadStream(file.path), req).catch(reject);
  });
  const { status, body } = await response.catch((err: unknown) => {
    throw fail(errorMessage(err));
  });
  if (status !== 201) throw fail(describeFailure(status, body));
}

interface Diagnostic {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
}

/** The registry's error body as crane words it: `CODE: message; detail`, or the status when there is no body. */
function describeFailure(status: number, body: string): string {
  let errors: Diagnostic[] = [];
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) errors = parsed.errors as Diagnostic[];
  } catch {
    // Not the registry's JSON error format: the status and the raw body say what there is.
  }
  const lines = errors.map((d) => {
    const text = `${String(d.code)}: ${String(d.message ?? '')}`;
    return d.detail === undefined || d.detail === null ? text : `${text}; ${goValue(d.detail)}`;
  });
  if (lines.length === 1) return lines[0]!;
  if (lines.length > 1) return `multiple errors returned: ${lines.join('; ')}`;
  return `unexpected status code ${status}${body ? `: ${body.trim()}` : ''}`;
}

/** A JSON value as Go's %v prints the decoded value, as crane prints a registry error's detail. */
function goValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${goValue(v)}`).join(' ')}]`;
  }
  return String(value);
}
