import type { Config } from '../config.js';
import { repositoryAllowed } from './allowed-repository.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { ModelReleased } from '../messages.js';
import type { Publish } from '../gcp/publisher.js';
import { runOnce } from '../idempotency.js';
import { FUNCTIONS } from '../wiring.js';
import type { Deadlines } from '../deadline.js';
import type { Store } from '../store.js';
import { assetUrlProblem } from './asset-url.js';
import { globToRegExp } from './glob.js';
import { ReleaseEvent, type ReleaseAsset } from './release-event.js';
import { verifySignature } from './signature.js';

export type WebhookConfig = Config<
  | 'GITHUB_WEBHOOK_SECRET'
  | 'GITHUB_WEBHOOK_SECRET_PREVIOUS'
  | 'ALLOWED_REPOSITORIES'
  | 'MODEL_ASSET_NAME'
  | 'ACCEPT_PRERELEASES'
  | 'ACCEPT_DRAFTS'
  | 'GITHUB_API_URL'
  | 'GITHUB_SERVER_URL'
  | 'MAX_WEBHOOK_BYTES'
>;

export const WEBHOOK_SETTINGS = [
  'GOOGLE_CLOUD_PROJECT',
  'GITHUB_WEBHOOK_SECRET',
  'GITHUB_WEBHOOK_SECRET_PREVIOUS',
  'ALLOWED_REPOSITORIES',
  'MODEL_ASSET_NAME',
  'ACCEPT_PRERELEASES',
  'ACCEPT_DRAFTS',
  'GITHUB_API_URL',
  'GITHUB_SERVER_URL',
  'MAX_WEBHOOK_BYTES',
] as const;

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Uint8Array | undefined;
}

export interface WebhookResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface WebhookDeps {
  config: WebhookConfig;
  store: Store;
  publish: Publish;
  log: Logger;
  now: () => Date;
  newRunId: (now: Date) => string;
  deadlines: Deadlines;
}

const header = (req: WebhookRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const reply = (status: number, body: Record<string, unknown>): WebhookResponse => ({ status, body });

/** The answer to a body over MAX_WEBHOOK_BYTES; `size` is its length in bytes, or "more than N" when cut off. */
export const bodyTooLarge = (size: string, config: Pick<WebhookConfig, 'MAX_WEBHOOK_BYTES'>): WebhookResponse =>
  reply(413, { error: `body of ${size} bytes exceeds the ${config.MAX_WEBHOOK_BYTES}-byte limit` });

/** Picks the model asset by its configured name or glob, and checks it really belongs to this repository. */
function pickAsset(event: ReleaseEvent, config: WebhookConfig): ReleaseAsset | WebhookResponse {
  const pattern = globToRegExp(config.MODEL_ASSET_NAME);
  const asset = event.release.assets.find((a) => pattern.test(a.name));
  const names = event.release.assets.map((a) => a.name);
  if (!asset) {
    return reply(422, {
      error: `release ${event.release.tag_name} of ${event.repository.full_name} has no asset matching '${config.MODEL_ASSET_NAME}'`,
      assets: names,
      hint: 'attach the SavedModel tarball to the release, or set MODEL_ASSET_NAME to its name',
    });
  }
  const repository = event.repository.full_name;
  const downloadPrefix = `${config.GITHUB_SERVER_URL}/${repository}/releases/download/`.toLowerCase();
  if (
    assetUrlProblem(asset.url, { apiUrl: config.GITHUB_API_URL, repository, id: asset.id }) ||
    !asset.browser_download_url.toLowerCase().startsWith(downloadPrefix)
  ) {
    return reply(422, {
      error: `asset ${asset.name} (id ${asset.id}) does not point at a release asset of ${event.repository.full_name}`,
      hint: `modelship only downloads ${config.GITHUB_API_URL}/repos/OWNER/NAME/releases/assets/ID of the releasing repository`,
    });
  }
  return asset;
}

/**
 * The GitHub release webhook: verify, filter, deduplicate, publish ModelReleased. It does no slow work (GitHub
 * waits 10 s), and it publishes at most once per delivery id, however often GitHub (or a person) redelivers it.
 */
export async function handleGithubWebhook(req: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const { config, log } = deps;
  const raw = req.rawBody ?? new Uint8Array();
  if (raw.byteLength > config.MAX_WEBHOOK_BYTES) return bodyTooLarge(String(raw.byteLength), config);
  const secrets = [config.GITHUB_WEBHOOK_SECRET, config.GITHUB_WEBHOOK_SECRET_PREVIOUS];
  const signature = header(req, 'x-hub-signature-256');
  if (!verifySignature(raw, signature, secrets)) {
    log.warn('webhook signature rejected', { delivery: header(req, 'x-github-delivery'), present: Boolean(signature) });
    return reply(401, {
      error: signature ? 'X-Hub-Signature-256 does not match the body' : 'X-Hub-Signature-256 header is missing',
      hint: "set the webhook's secret in GitHub to GITHUB_WEBHOOK_SECRET, content type application/json",
    });
  }
  const event = header(req, 'x-github-event');
  const deliveryId = header(req, 'x-github-delivery');
  if (!event || !deliveryId) {
    return reply(400, { error: 'X-GitHub-Event and X-GitHub-Delivery headers are required' });
  }
  if (event === 'ping') return reply(200, { pong: true });

  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    return reply(400, {
      error: 'body is not JSON',
      hint: 'set the webhook content type to application/json in GitHub',
    });
  }
  if (event !== 'release') return reply(202, { ignored: `event '${event}' is not a release` });
  const parsed = ReleaseEvent.safeParse(payload);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).slice(0, 5);
    return reply(400, { error: 'body is not a GitHub release event', problems });
  }
  const release = parsed.data;
  if (release.action !== 'published')
    return reply(202, { ignored: `release action '${release.action}' is not published` });

  const repo = release.repository.full_name;
  if (!repositoryAllowed(config.ALLOWED_REPOSITORIES, repo)) {
    return reply(403, {
      error: `repository ${repo} is not allowed`,
      hint: 'add it (owner/name) or its owner (owner/*) to ALLOWED_REPOSITORIES',
    });
  }
  if (release.release.draft && !config.ACCEPT_DRAFTS)
    return reply(202, { ignored: 'draft release (ACCEPT_DRAFTS=false)' });
  if (release.release.prerelease && !config.ACCEPT_PRERELEASES) {
    return reply(202, { ignored: 'prerelease (ACCEPT_PRERELEASES=false)' });
  }
  const asset = pickAsset(release, config);
  if ('status' in asset) return asset;

  return publishOnce(release, asset, deliveryId, deps);
}

/**
 * The release itself is claimed before its delivery: the same release (repository, tag and asset: its digest, or its
 * id and size where GitHub gives no digest) re-sent under a new delivery id is not run twice. A person asks for a run
 * again by uploading a new asset, or with `modelship redeploy`; a release whose run failed runs again on its next
 * delivery. A redelivery of the same delivery goes on under the run id it was given.
 */
async function claimRelease(
  event: ReleaseEvent,
  asset: ReleaseAsset,
  deliveryId: string,
  newRunId: string,
  deps: WebhookDeps,
): Promise<{ runId: string } | WebhookResponse> {
  const identity = asset.digest ?? `asset-${asset.id}-${asset.size}`;
  const key = `release/${event.repository.full_name.toLowerCase()}/${event.release.tag_name}/${identity}`;
  const mine = { runId: newRunId, deliveryId };
  const claim = await deps.store.claim(key, mine);
  if (claim.created) return mine;
  const first = claim.data;
  if (first.deliveryId === deliveryId) return first;
  const run = await deps.store.getRun(first.runId);
  if (run?.status === 'failed' && (await deps.store.reclaim(key, first, mine))) return mine;
  deps.log.info('release already run under another delivery', {
    deliveryId,
    runId: first.runId,
    first: first.deliveryId,
  });
  return reply(200, {
    duplicate: true,
    runId: first.runId,
    reason: `release ${event.release.tag_name} of ${event.repository.full_name} with this asset was already run (delivery ${first.deliveryId}, run ${first.runId}, ${run?.status ?? 'unknown'})`,
    hint: 'upload a new asset to run it again, or redeploy a scenario with modelship redeploy',
  });
}

async function publishOnce(
  event: ReleaseEvent,
  asset: ReleaseAsset,
  deliveryId: string,
  deps: WebhookDeps,
): Promise<WebhookResponse> {
  const { store, log } = deps;
  const now = deps.now();
  const claimed = await claimRelease(event, asset, deliveryId, deps.newRunId(now), deps);
  if ('status' in claimed) return claimed;
  const newRunId = claimed.runId;
  const message = (runId: string): ModelReleased => ({
    type: 'ModelReleased',
    version: 1,
    runId,
    repository: event.repository.full_name,
    release: {
      id: event.release.id,
      tag: event.release.tag_name,
      name: event.release.name,
      htmlUrl: event.release.html_url,
      prerelease: event.release.prerelease,
    },
    asset: {
      id: asset.id,
      name: asset.name,
      url: asset.url,
      browserDownloadUrl: asset.browser_download_url,
      size: asset.size,
    },
    deliveryId,
    receivedAt: now.toISOString(),
  });
  const details = { deliveryId, asset: asset.name };
  const run = {
    runId: newRunId,
    repository: event.repository.full_name,
    tag: event.release.tag_name,
    stages: { webhook: { status: 'running' as const, startedAt: now.toISOString() } },
    deadline: deps.deadlines.after(FUNCTIONS.bakeModel.timeoutS, 'bake', 'bakeModel to submit the bake build'),
  };
  let runId = newRunId;
  try {
    // A delivery that failed to publish, or whose handler died, is retried under its first run id, so that a
    // message that did go out after all is deduplicated downstream by run id.
    const outcome = await runOnce(
      store,
      `delivery/${deliveryId}`,
      { data: { runId }, run, now: () => now, staleMs: FUNCTIONS.githubWebhook.timeoutS * 1000, whenBusy: 'duplicate' },
      async (record) => {
        runId = String(record.runId);
        await deps.publish(message(runId));
        await store.finishStage(runId, 'webhook', { status: 'succeeded', startedAt: record.at, details });
        return {};
      },
    );
    if (outcome.duplicate) {
      log.info('duplicate delivery ignored', { deliveryId, runId: outcome.record.runId });
      return reply(200, { duplicate: true, runId: outcome.record.runId });
    }
  } catch (err) {
    log.child({ runId }).error('release not published', { deliveryId, error: errorMessage(err) });
    const reason = `not queued: ${errorMessage(err)}; redeliver it from GitHub`;
    await store.finishStage(runId, 'webhook', { status: 'failed', reason }).catch(() => undefined);
    return reply(503, {
      error: 'the release could not be queued',
      runId,
      hint: 'redeliver it from the webhook settings in GitHub',
    });
  }
  log
    .child({ runId })
    .info('release queued', { repository: event.repository.full_name, tag: event.release.tag_name, asset: asset.name });
  return reply(202, { runId });
}
