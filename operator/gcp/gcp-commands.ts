import { mkdir } from 'node:fs/promises';
import { relative } from 'node:path';
import { exposureWarnings } from '../exposure-warnings.js';
import { scenarioNames } from '../../shared/deploy/scenario-loader.js';
import type { ActionKind, Plan } from './action.js';
import { applyPlan, checkPlan, type ExecutorDeps } from './apply-plan.js';
import { buildPlan, WEBHOOK_URL_LOOKUP } from './build-plan.js';
import type { GcpConfig } from './config-schema.js';
import { githubSettings, probeWebhook } from './github-settings.js';
import { loadGcpConfig } from './load-gcp-config.js';
import type { ImageRefs } from './plan-images.js';
import { resourceNames } from './names.js';
import { publicAccessWarning } from './public-access.js';
import { renderPlan } from './render-plan.js';
import { sourceHash } from './source-hash.js';
import { requireSignedIn } from './signed-in.js';

/** `modelship gcp plan|apply|check`: read the config, build the plan, then print it, apply it or check it. */

export interface GcpOptions {
  configFile: string;
  /** The package root: deployed as the functions' source, built into the images. */
  sourceRoot: string;
  cwd: string;
  stateDir: string;
  /** Only these kinds of actions (CI deploys `code` only). */
  only?: readonly ActionKind[];
  /** The images built elsewhere (CI). */
  images?: ImageRefs;
}

export interface GcpDeps extends ExecutorDeps {
  fetch: typeof fetch;
}

async function preparePlan(options: GcpOptions): Promise<{ config: GcpConfig; plan: Plan }> {
  const config = await loadGcpConfig(options.configFile, { scenarios: await scenarioNames() });
  const plan = buildPlan(config, {
    sourceDir: relative(options.cwd, options.sourceRoot) || '.',
    sourceHash: await sourceHash(options.sourceRoot),
    stateDir: relative(options.cwd, options.stateDir) || '.',
    ...(options.images ? { images: options.images } : {}),
  });
  const only = options.only;
  return { config, plan: only ? { ...plan, actions: plan.actions.filter((a) => only.includes(a.kind)) } : plan };
}

const title = (config: GcpConfig, options: GcpOptions) =>
  `Plan for project ${config.project} (${config.region}) from ${relative(options.cwd, options.configFile)}`;

const deploysWebhook = (plan: Plan) => plan.actions.some((a) => a.id === 'function modelship-webhook');

/** Whether this plan grants `allUsers` (the webhook's invoker), which an organization policy may refuse. */
const grantsAllUsers = (plan: Plan) => plan.actions.some((a) => a.id.startsWith('iam ') && a.id.endsWith(' allUsers'));

/** `plan` runs nothing but, when it grants allUsers, the read of the organization policies that may refuse it. */
export async function gcpPlan(options: GcpOptions, deps: Pick<GcpDeps, 'run' | 'print'>): Promise<number> {
  const { config, plan } = await preparePlan(options);
  renderPlan(plan, title(config, options)).forEach((line) => deps.print(line));
  (await exposureWarnings(config.scenarios)).forEach((line) => deps.print(line));
  if (grantsAllUsers(plan)) {
    const warning = await publicAccessWarning(config, resourceNames(config), deps.run);
    if (warning.length) ['', ...warning].forEach((line) => deps.print(line));
  }
  return 0;
}

export async function gcpApply(options: GcpOptions, deps: GcpDeps): Promise<number> {
  const { config, plan } = await preparePlan(options);
  await requireSignedIn(deps.run);
  await mkdir(options.stateDir, { recursive: true });
  deps.print(`${title(config, options).replace(/^Plan/, 'Applying the plan')}:`);
  const report = await applyPlan(plan, deps);
  if (grantsAllUsers(plan)) {
    const url = await report.session.lookup(WEBHOOK_URL_LOOKUP);
    githubSettings(config, url, report.generatedSecret).forEach((line) => deps.print(line));
  }
  deps.print('');
  deps.print(`Verify every piece: modelship gcp check --config ${relative(options.cwd, options.configFile)}`);
  return 0;
}

export async function gcpCheck(options: GcpOptions, deps: GcpDeps): Promise<number> {
  const { config, plan } = await preparePlan(options);
  await requireSignedIn(deps.run);
  await mkdir(options.stateDir, { recursive: true });
  deps.print(`Checking project ${config.project} against ${relative(options.cwd, options.configFile)}:`);
  const report = await checkPlan(plan, deps);
  const bad = report.results.filter((r) => r.status !== 'ok');
  let reachable = true;
  if (deploysWebhook(plan) && !bad.some((r) => r.id === 'function modelship-webhook')) {
    const probe = await probeWebhook(await report.session.lookup(WEBHOOK_URL_LOOKUP), deps.fetch);
    deps.print(`${probe.ok ? 'reachable' : 'UNREACHABLE'}: ${probe.detail}`);
    reachable = probe.ok;
  }
  deps.print(
    bad.length === 0
      ? `All ${report.results.length} pieces are in place.`
      : `${bad.length} of ${report.results.length} pieces are missing or differ: modelship gcp apply fixes what it can.`,
  );
  return bad.length === 0 && reachable ? 0 : 1;
}
