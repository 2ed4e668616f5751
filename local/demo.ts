import { randomBytes, randomUUID } from 'node:crypto';
import { signBody } from '../shared/github/signature.js';
import { ModelReleased } from '../shared/messages.js';
import { TOPICS } from '../shared/topics.js';
import { emulatorPorts } from './emulator-ports.js';
import { releasePayload } from './release-payload.js';
import { startLocalStack, type StackOptions } from './stack.js';

export const DEMO_REPOSITORY = 'modelship/sample-model';

export interface DemoOptions extends Pick<StackOptions, 'dir' | 'ports' | 'emulatorHosts' | 'project'> {
  print: (line: string) => void;
  timeoutMs?: number;
}

const elapsed = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/**
 * `npm start`: brings up the local stack, publishes a release of the sample model through the signed GitHub
 * webhook, and follows it. For now the pipeline ends at `model-released`; each later stage extends this demo.
 */
export async function runDemo({ print, timeoutMs = 30_000, ...stackOptions }: DemoOptions): Promise<number> {
  const t0 = performance.now();
  const secret = randomBytes(32).toString('hex');
  const releases = `http://127.0.0.1:${stackOptions.ports?.releases ?? emulatorPorts().releases}`;
  const stack = await startLocalStack({
    ...stackOptions,
    functions: ['githubWebhook'],
    functionsEnv: {
      GITHUB_WEBHOOK_SECRET: secret,
      ALLOWED_REPOSITORIES: DEMO_REPOSITORY,
      GITHUB_API_URL: `${releases}/api`,
      GITHUB_SERVER_URL: releases,
    },
    onStep: (s) => print(`  … ${s}`),
  });
  try {
    print(`  ✓ local stack up in ${elapsed(t0)}: functions at ${stack.functionsUrl}, logs in ${stack.logDir}`);
    const [subscription] = await stack.pubsub.topic(TOPICS.modelReleased).createSubscription(`demo-${randomUUID()}`);
    const received = new Promise<ModelReleased>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ModelReleased within ${timeoutMs} ms`)), timeoutMs);
      subscription.on('message', (m) => {
        m.ack();
        clearTimeout(timer);
        resolve(ModelReleased.parse(JSON.parse(m.data.toString('utf8'))));
      });
    });

    const payload = releasePayload({
      repository: DEMO_REPOSITORY,
      tag: 'v1.0.0',
      releaseId: 1,
      asset: { id: 1, name: 'saved_model.tar.gz', size: 0 },
      apiUrl: `${releases}/api`,
      serverUrl: releases,
    });
    const body = JSON.stringify(payload);
    const t1 = performance.now();
    const res = await fetch(`${stack.functionsUrl}/githubWebhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'release',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signBody(body, secret),
      },
      body,
    });
    const answer = (await res.json()) as { runId?: string };
    print(
      `  ✓ GitHub release ${DEMO_REPOSITORY}@v1.0.0 sent to githubWebhook: HTTP ${res.status} ${JSON.stringify(answer)} in ${elapsed(t1)}`,
    );
    if (res.status !== 202) return 1;

    const message = await received;
    await subscription.delete();
    print(`  ✓ ModelReleased reached ${TOPICS.modelReleased} for run ${message.runId}:`);
    print(JSON.stringify(message, null, 2).replace(/^/gm, '      '));
    print(`  done in ${elapsed(t0)}`);
    return 0;
  } finally {
    await stack.stop();
  }
}
