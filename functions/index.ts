import * as functions from '@google-cloud/functions-framework';
import { WEBHOOK_SETTINGS } from '../shared/github/webhook.js';
import { newRunId } from '../shared/run-id.js';
import { createLogger } from '../shared/log.js';
import { commonDeps, once } from './deps.js';
import { createGithubWebhook } from './github-webhook.js';
import { loadConfig } from '../shared/config.js';
import { createReportResults, reportResultsDeps } from './report-results.js';
import { createLaunchLoadTest, launchLoadTestDeps } from './launch-load-test.js';
import { createDeployScenario, deployScenarioDeps } from './deploy-scenario.js';
import { bakeModelDeps, createBakeModel } from './bake-model.js';
import { createOnBuildFinished, onBuildFinishedDeps } from './on-build-finished.js';

/**
 * The entry point of every function (package.json "main"). Each one is registered under its target name; its
 * dependencies are built on its first invocation, and its configuration is validated at start-up when the
 * instance is serving that function (FUNCTION_TARGET), so a bad variable fails the deploy, not the first event.
 */
const webhookDeps = once(() => ({
  ...commonDeps('githubWebhook'),
  config: loadConfig(WEBHOOK_SETTINGS),
  newRunId,
}));

const reportDeps = once(() => reportResultsDeps());

const launchDeps = once(() => launchLoadTestDeps());
const deployDeps = once(() => deployScenarioDeps());
const bakeDeps = once(() => bakeModelDeps());
const buildFinishedDeps = once(() => onBuildFinishedDeps());

const builders: Record<string, () => unknown> = {
  githubWebhook: webhookDeps,
  bakeModel: bakeDeps,
  onBuildFinished: buildFinishedDeps,
  deployScenario: deployDeps,
  launchLoadTest: launchDeps,
  reportResults: reportDeps,
};

functions.http(
  'githubWebhook',
  createGithubWebhook(webhookDeps, createLogger({ labels: { component: 'githubWebhook' } })),
);
functions.cloudEvent('bakeModel', createBakeModel(bakeDeps));
functions.cloudEvent('onBuildFinished', createOnBuildFinished(buildFinishedDeps));
functions.cloudEvent('deployScenario', createDeployScenario(deployDeps));
functions.cloudEvent('launchLoadTest', createLaunchLoadTest(launchDeps));
functions.cloudEvent('reportResults', createReportResults(reportDeps));

const target = process.env.FUNCTION_TARGET;
if (target && builders[target]) builders[target]();
