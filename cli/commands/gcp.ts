import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ACTION_KINDS,
  createProcessRunner,
  gcpApply,
  gcpCheck,
  gcpPlan,
  type ActionKind,
  type GcpDeps,
  type GcpOptions,
} from '../../operator/gcp/index.js';
import { packageRoot } from '../../shared/paths.js';
import { UsageError, parseOptions } from '../../shared/command-line.js';
import { type Command } from '../command.js';

const usage = `Usage: modelship gcp plan|apply|check [--config FILE] [--only KINDS]
                                           [--load-test-image IMAGE --tool-image IMAGE]

Provisions and deploys the pipeline to Google Cloud from a small config file (see modelship.config.example.yaml).
  plan    prints every action, as the exact gcloud and kubectl commands apply would run; runs nothing but a
          read of the organization policies that may refuse the public webhook
  apply   runs the plan: each action reads its resource first and changes it only when missing or different,
          so a second apply changes nothing; at the end, prints the webhook settings to enter in GitHub
  check   verifies that each piece exists, matches the config and can be reached; changes nothing

Options:
  --config FILE            the deploy configuration (default modelship.config.yaml)
  --only KINDS             only these kinds of actions, comma separated: ${ACTION_KINDS.join(', ')}
                           (CI deploys new code with --only code)
  --load-test-image IMAGE  with --tool-image: the two images already pushed (CI builds its own, as
  --tool-image IMAGE       cloudbuild/load-tester.yaml does) instead of building them; the job runs the first,
                           the bake steps the second
  --state-dir DIR          local files of apply, such as the cluster's kubeconfig (default .modelship/gcp)

Commands run gcloud and kubectl as the signed-in account (gcloud auth login), which must own the project.`;

function parseKinds(value: string | undefined): ActionKind[] | undefined {
  if (value === undefined) return undefined;
  const kinds = value.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !(ACTION_KINDS as readonly string[]).includes(k));
  if (unknown.length)
    throw new UsageError(`--only: unknown kind ${unknown.join(', ')}; allowed: ${ACTION_KINDS.join(', ')}`);
  return kinds as ActionKind[];
}

/** Both images or neither: they come from one build, and the bake needs the tool image the job's goes with. */
function parseImages(loadTester: string | undefined, tool: string | undefined) {
  if (!loadTester && !tool) return undefined;
  if (!loadTester || !tool) throw new UsageError('--load-test-image and --tool-image are given together');
  return { loadTester, tool };
}

/** The command with its collaborators: the real gcloud in production, a fake in tests. */
export function createGcpCommand(deps: GcpDeps, cwd: () => string = () => process.cwd()): Command {
  return {
    usage,
    async run(argv) {
      const { values, positionals } = parseOptions(
        argv,
        {
          config: { type: 'string', default: 'modelship.config.yaml' },
          only: { type: 'string' },
          'load-test-image': { type: 'string' },
          'tool-image': { type: 'string' },
          'state-dir': { type: 'string', default: join('.modelship', 'gcp') },
        },
        true,
      );
      const [action, ...extra] = positionals;
      if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
      const only = parseKinds(values.only);
      const images = parseImages(values['load-test-image'], values['tool-image']);
      const options: GcpOptions = {
        configFile: resolve(cwd(), values.config),
        sourceRoot: packageRoot,
        cwd: cwd(),
        stateDir: resolve(cwd(), values['state-dir']),
        ...(only ? { only } : {}),
        ...(images ? { images } : {}),
      };
      if (action === 'plan') return gcpPlan(options, deps);
      if (action === 'apply') return gcpApply(options, deps);
      if (action === 'check') return gcpCheck(options, deps);
      throw new UsageError(action ? `unknown action '${action}'` : 'an action is required: plan, apply or check');
    },
  };
}

export const gcp: Command = createGcpCommand({
  run: createProcessRunner(),
  newSecret: () => randomBytes(32).toString('hex'),
  sleep: (ms) => sleep(ms),
  fetch: (...args) => fetch(...args),
  print: (line) => console.log(line),
});
