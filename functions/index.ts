import * as functions from '@google-cloud/functions-framework';
import type { CloudEventFunction, HttpFunction } from '@google-cloud/functions-framework';
import { ConfigError } from '../shared/errors.js';
import { once } from './deps.js';
import { ENTRY_POINTS, FUNCTIONS, type EntryPoint } from '../shared/wiring.js';

/**
 * The entry point of every function (package.json "main"). Each one is registered under its target name with a
 * handler that imports its module on first use, so that an instance loads only the clients of the function it
 * serves (they cost most of a cold start). The instance serving FUNCTION_TARGET loads it and builds its deps at
 * start-up, so a bad variable fails the deploy, not the first event.
 */
type Handler<E extends EntryPoint> = (typeof FUNCTIONS)[E]['trigger'] extends 'http'
  ? HttpFunction
  : CloudEventFunction<unknown>;

const MODULES: { [E in EntryPoint]: () => Promise<{ start(): Promise<Handler<E>> }> } = {
  githubWebhook: () => import('./github-webhook.js'),
  bakeModel: () => import('./bake-model.js'),
  onBuildFinished: () => import('./on-build-finished.js'),
  deployScenario: () => import('./deploy-scenario.js'),
  launchLoadTest: () => import('./launch-load-test.js'),
  reportResults: () => import('./report-results.js'),
  watchRuns: () => import('./watch-runs.js'),
};

const handlers = new Map<string, () => Promise<HttpFunction | CloudEventFunction<unknown>>>();
for (const name of ENTRY_POINTS) {
  const handler = once(async () => (await MODULES[name]()).start());
  handlers.set(name, handler);
  if (FUNCTIONS[name].trigger === 'http') {
    functions.http(name, async (req, res) => ((await handler()) as HttpFunction)(req, res));
  } else {
    const onEvent: CloudEventFunction<unknown> = async (event) =>
      ((await handler()) as CloudEventFunction<unknown>)(event);
    functions.cloudEvent(name, onEvent);
  }
}

const target = process.env.FUNCTION_TARGET;
if (target) {
  const start = handlers.get(target);
  if (!start) {
    throw new ConfigError([`FUNCTION_TARGET is ${target}: expected one of ${ENTRY_POINTS.join(', ')}`]);
  }
  await start();
}
