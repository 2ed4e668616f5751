import type { HttpFunction } from '@google-cloud/functions-framework';
import { loadConfig } from '../shared/config.js';
import { errorMessage } from '../shared/errors.js';
import { bodyTooLarge, handleGithubWebhook, WEBHOOK_SETTINGS, type WebhookDeps } from '../shared/github/webhook.js';
import type { Logger } from '../shared/log.js';
import { newRunId } from '../shared/run-id.js';
import { limitRequestBodies } from './body-limit.js';
import { baseDeps, firestoreStore, pubsubPublisher, started } from './deps.js';

export async function githubWebhookDeps(env: NodeJS.ProcessEnv = process.env): Promise<WebhookDeps> {
  const { project, log, now, deadlines } = baseDeps('githubWebhook', env);
  const config = loadConfig(WEBHOOK_SETTINGS, env);
  const store = await firestoreStore(project);
  return { config, log, now, newRunId, store, publish: pubsubPublisher(project), deadlines };
}

/**
 * The deployed function: its deps built from the environment (functions/index.ts). Its instance refuses a body over
 * MAX_WEBHOOK_BYTES while reading it, before the Functions Framework would buffer it whole (body-limit.ts).
 */
export const start = (): Promise<HttpFunction> =>
  started(githubWebhookDeps(), (deps) => {
    const { config, log } = deps();
    limitRequestBodies(config.MAX_WEBHOOK_BYTES, (size) => bodyTooLarge(size, config));
    return createGithubWebhook(deps, log);
  });

/**
 * The HTTP function GitHub calls. Only the translation between Express and the step lives here; `deps` is built
 * once per instance (clients are reused across requests, as Cloud Functions recommends).
 */
export function createGithubWebhook(deps: () => WebhookDeps, log: Logger): HttpFunction {
  return async function githubWebhook(req, res) {
    if (req.method !== 'POST') {
      res.status(405).set('allow', 'POST').json({ error: 'only POST is accepted' });
      return;
    }
    try {
      const rawBody = (req as { rawBody?: Buffer }).rawBody;
      const { status, body } = await handleGithubWebhook({ headers: req.headers, rawBody }, deps());
      res.status(status).json(body);
    } catch (err) {
      log.error('webhook failed', { error: errorMessage(err) });
      res.status(500).json({ error: 'internal error; see the function logs' });
    }
  };
}
