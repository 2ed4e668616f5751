import type { GcpConfig } from './config-schema.js';

/**
 * What a person enters in GitHub once the pipeline is deployed, and the check that the webhook answers. The
 * secret appears here only when apply has just generated it: it is printed this once and never again (it stays
 * readable in Secret Manager by those allowed to).
 */

export function githubSettings(config: GcpConfig, webhookUrl: string, generatedSecret: string | undefined): string[] {
  const { project, github } = config;
  const secret = generatedSecret
    ? [
        `  Secret:        ${generatedSecret}`,
        `                 (shown this once; it is stored in Secret Manager as ${github.webhookSecret})`,
      ]
    : [
        `  Secret:        unchanged; read it with: gcloud secrets versions access latest ` +
          `--secret=${github.webhookSecret} --project=${project}`,
      ];
  return [
    '',
    'GitHub webhook: in each repository, Settings → Webhooks → Add webhook:',
    ...github.repositories.map((r) => `  Repository:    https://github.com/${r}/settings/hooks/new`),
    `  Payload URL:   ${webhookUrl}`,
    '  Content type:  application/json',
    ...secret,
    '  SSL:           enable SSL verification',
    '  Events:        Let me select individual events → Releases (and nothing else)',
    'GitHub then sends a ping; the function answers 200 {"pong": true}.',
  ];
}

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/**
 * Sends an unsigned ping to the webhook. A 401 is the right answer: the function is deployed, reachable from the
 * internet, and rejects what is not signed with the secret. Nothing is published or recorded for it.
 */
export async function probeWebhook(url: string, fetchFn: typeof fetch): Promise<ProbeResult> {
  let response: Response;
  try {
    response = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': 'modelship-check' },
      body: JSON.stringify({ zen: 'modelship gcp check' }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    return { ok: false, detail: `${url} is not reachable: ${err instanceof Error ? err.message : String(err)}` };
  }
  await response.body?.cancel();
  if (response.status === 401) return { ok: true, detail: `${url} answers and rejects an unsigned request (401)` };
  if (response.status === 403) {
    return { ok: false, detail: `${url} answered 403: the function does not let allUsers invoke it (apply grants it)` };
  }
  if (response.ok) {
    return {
      ok: false,
      detail: `${url} accepted an unsigned request (${response.status}): check GITHUB_WEBHOOK_SECRET`,
    };
  }
  return { ok: false, detail: `${url} answered ${response.status}: read the function's logs` };
}
