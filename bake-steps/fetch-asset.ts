import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { callTimeout, type CallTimeout } from '../shared/call-timeout.js';
import { errorMessage } from '../shared/errors.js';
import { assetUrlProblem } from '../shared/github/asset-url.js';
import { BakeError } from './bake-error.js';

/**
 * Downloads a release asset with a size cap. GitHub answers the asset's API URL (with `Accept:
 * application/octet-stream`) by redirecting to a signed download URL on another host: redirects are followed by hand
 * so that the token goes to the first host only, never to the storage host. A download over the cap is refused from
 * its Content-Length when it has one, and cut off at the cap when it does not. Each host must answer, and the
 * download must go on, within `timeoutMs`: a hung host fails the attempt (and is retried) rather than the build.
 */

export interface FetchAssetOptions {
  /** The asset's API URL: it must be `apiUrl/repos/REPOSITORY/releases/assets/ID`. */
  url: string;
  /** The releasing repository, OWNER/NAME. */
  repository: string;
  /** GitHub's REST API, the only host the token goes to. */
  apiUrl: string;
  out: string;
  maxBytes: number;
  /** A GitHub token, for private repositories. */
  token?: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** How long a host may take to answer, and the download may go without a byte (default 30 s). */
  timeoutMs?: number;
  /** Waits before the second and third attempts after a network error or a 5xx. */
  retryDelaysMs?: readonly number[];
}

export interface FetchedAsset {
  bytes: number;
  sha256: string;
  /** Where the bytes came from after redirects. */
  finalUrl: string;
}

const MAX_REDIRECTS = 5;
const TIMEOUT_MS = 30_000;

class RetryableError extends Error {}

const statusHint = (status: number): string | undefined =>
  status === 404 || status === 401 || status === 403
    ? 'for a private repository, set GITHUB_TOKEN_SECRET to a Secret Manager secret holding a token that can read its releases'
    : undefined;

async function open(o: FetchAssetOptions, timeout: CallTimeout): Promise<{ res: Response; finalUrl: string }> {
  const doFetch = o.fetch ?? fetch;
  let url = new URL(o.url);
  const origin = url.origin;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { accept: 'application/octet-stream', 'user-agent': 'modelship-bake' };
    if (o.token && url.origin === origin) headers.authorization = `Bearer ${o.token}`;
    const call = `GET ${url.origin}${url.pathname}`;
    timeout.arm(`${call} did not answer within ${timeout.span}`);
    let res: Response;
    try {
      res = await doFetch(url, { headers, redirect: 'manual', signal: timeout.signal });
    } catch (err) {
      if (o.signal?.aborted) throw err;
      const why = timeout.signal.aborted ? errorMessage(err) : `${call} failed: ${errorMessage(err)}`;
      throw new RetryableError(why, { cause: err });
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      url = new URL(location, url);
      continue;
    }
    if (res.ok) return { res, finalUrl: `${url.origin}${url.pathname}` };
    await res.body?.cancel();
    const message = `GET ${url.origin}${url.pathname} answered ${res.status} ${res.statusText}`;
    if (res.status >= 500 || res.status === 429) throw new RetryableError(message);
    const hint = statusHint(res.status);
    throw new BakeError('download', `the release asset could not be downloaded: ${message}`, hint ? { hint } : {});
  }
  throw new BakeError('download', `the release asset at ${o.url} redirects more than ${MAX_REDIRECTS} times`);
}

async function fetchOnce(o: FetchAssetOptions): Promise<FetchedAsset> {
  const timeout = callTimeout(o.timeoutMs ?? TIMEOUT_MS, o.signal);
  try {
    return await download(o, timeout);
  } finally {
    timeout.clear();
  }
}

async function download(o: FetchAssetOptions, timeout: CallTimeout): Promise<FetchedAsset> {
  const { res, finalUrl } = await open(o, timeout);
  const stalled = `GET ${finalUrl} sent nothing for ${timeout.span}`;
  timeout.arm(stalled);
  const tooLarge = (bytes: string) =>
    new BakeError('too-large', `the release asset is ${bytes} bytes, over the cap of ${o.maxBytes} bytes`, {
      hint: 'raise BAKE_MAX_ASSET_BYTES if the model really is this large',
    });
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > o.maxBytes) {
    await res.body?.cancel();
    throw tooLarge(String(declared));
  }
  await mkdir(dirname(o.out), { recursive: true });
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      timeout.arm(stalled);
      bytes += chunk.length;
      if (bytes > o.maxBytes) return done(tooLarge(`more than ${o.maxBytes}`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  if (!res.body) throw new BakeError('download', `GET ${finalUrl} returned no body`);
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream), meter, createWriteStream(o.out));
  } catch (err) {
    await rm(o.out, { force: true });
    // A local file error (no such directory, a full disk) is not the network's: retrying cannot help.
    if (err instanceof BakeError || o.signal?.aborted || (err as NodeJS.ErrnoException).syscall) throw err;
    throw new RetryableError(`downloading ${finalUrl} failed after ${bytes} bytes: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!Number.isNaN(declared) && bytes !== declared) {
    throw new RetryableError(`downloading ${finalUrl} ended after ${bytes} of ${declared} bytes`);
  }
  return { bytes, sha256: hash.digest('hex'), finalUrl };
}

/**
 * Downloads the asset to `out`, retrying network errors and 5xx answers twice. The URL is checked first: the build's
 * substitutions are the function's, but this step is what sends the token.
 */
export async function fetchAsset(o: FetchAssetOptions): Promise<FetchedAsset> {
  const forged = assetUrlProblem(o.url, { apiUrl: o.apiUrl, repository: o.repository });
  if (forged) {
    throw new BakeError('not-a-release-asset', `refused to download ${forged}`, {
      hint: `the build's _ASSET_URL must be ${o.apiUrl}/repos/OWNER/NAME/releases/assets/ID of _GITHUB_REPOSITORY`,
    });
  }
  const delays = o.retryDelaysMs ?? [1000, 4000];
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchOnce(o);
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      const wait = delays[attempt];
      if (wait === undefined)
        throw new BakeError('download', `the release asset could not be downloaded: ${err.message}`, { cause: err });
      await delay(wait, undefined, o.signal ? { signal: o.signal } : {});
    }
  }
}
