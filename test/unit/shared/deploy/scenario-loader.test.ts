import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../shared/errors.js';
import {
  UnknownScenarioError,
  loadScenario,
  loadScenarios,
  parseScenario,
  scenarioNames,
} from '../../../../shared/deploy/index.js';

const dir = mkdtempSync(join(tmpdir(), 'modelship-scenarios-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = `description: A test scenario.
replicas: 2
node:
  machineType: n2-custom-8-16384
tfserving:
  interOpParallelism: 4
`;

/** The problems a scenario file's text gets, without the file name. */
function problems(text: string, file = 'scenarios/test.yaml'): string[] {
  try {
    parseScenario(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.replace(`${file}: `, ''));
    throw err;
  }
  return [];
}

describe('parseScenario', () => {
  it('fills in the defaults that follow from the node', () => {
    const s = parseScenario(GOOD, 'scenarios/test.yaml');
    expect(s).toMatchObject({
      name: 'test',
      replicas: 2,
      node: { vcpus: 8, memoryGiB: 16, pool: 'tfs-n2-custom-8-16384' },
      resources: { cpuMillis: 7500, memoryMiB: 13056 },
      tfserving: { modelName: 'resnet', interOpParallelism: 4, intraOpParallelism: 8, extraArgs: [] },
      probes: { startupSeconds: 600, periodSeconds: 5 },
      rollout: { progressDeadlineSeconds: 900 },
      service: { exposure: 'internal' },
    });
    expect(s.tfserving.batching).toBeUndefined();
  });

  it('names the file, the field and what is allowed', () => {
    const text = `${GOOD.replace('replicas: 2', 'replicas: two')}service:\n  exposure: public\nreplica: 3\n`;
    expect(() => parseScenario(text, 'scenarios/test.yaml')).toThrow(ConfigError);
    expect(problems(text)).toEqual([
      'replicas: Invalid input: expected number, received string; found "two"',
      'service.exposure: expected one of external, internal; found "public"',
      '(top level): unknown field replica; allowed: description, replicas, node, resources, tfserving, probes, rollout, service',
    ]);
  });

  it('reports missing fields and unknown nested fields with what is allowed there', () => {
    const text = 'description: x\nnode:\n  machineType: n2-custom-8-16384\n  cpu: 8\ntfserving: {}\n';
    expect(problems(text)).toEqual([
      'replicas: required (number)',
      'node: unknown field cpu; allowed: machineType, vcpus, memoryGiB, pool',
      'tfserving.interOpParallelism: required (number)',
    ]);
  });

  it('gives YAML syntax errors their line and column', () => {
    expect(() => parseScenario('description: x\nreplicas: [2\n', 'scenarios/test.yaml')).toThrow(
      /scenarios\/test.yaml:3:1: /,
    );
    expect(() => parseScenario('a: 1\na: 2\n', 'scenarios/dup.yaml')).toThrow(
      /scenarios\/dup.yaml:2:1: Map keys must be unique/,
    );
  });

  it('refuses pods that do not fit the node, saying what the node offers', () => {
    const text = `${GOOD}resources:\n  cpu: "8"\n  memory: 16Gi\n`;
    expect(problems(text)).toEqual([
      'resources.cpu: 8 does not fit: a n2-custom-8-16384 node offers a pod at most 7500m of CPU (GKE allocatable 7910m minus 400m for system pods)',
      'resources.memory: 16Gi does not fit: a n2-custom-8-16384 node offers a pod at most 13056Mi of memory (GKE allocatable 13621Mi minus 512Mi for system pods)',
    ]);
    expect(parseScenario(`${GOOD}resources:\n  cpu: 7.5\n  memory: 12Gi\n`, 's.yaml').resources).toEqual({
      cpuMillis: 7500,
      memoryMiB: 12288,
    });
  });

  it('validates batching parameters as TF Serving does', () => {
    const batching = (fields: string) => `${GOOD}  batching:\n${fields.replace(/^/gm, '    ')}\n`;
    expect(
      problems(batching('maxBatchSize: 128\nbatchTimeoutMicros: 0\nmaxEnqueuedBatches: 2\nnumBatchThreads: 0')),
    ).toEqual(['tfserving.batching.numBatchThreads: numBatchThreads must be positive; found 0']);
    expect(
      problems(
        batching(
          'maxBatchSize: 128\nbatchTimeoutMicros: 0\nmaxEnqueuedBatches: 2\nnumBatchThreads: 2\nallowedBatchSizes: [8, 4, 64]',
        ),
      ),
    ).toEqual([
      'tfserving.batching.allowedBatchSizes: allowed_batch_sizes entries must be monotonically increasing',
      'tfserving.batching.allowedBatchSizes: Last entry in allowed_batch_sizes must match max_batch_size; last entry was 64; expected 128',
    ]);
    expect(
      problems(
        batching(
          'maxBatchSize: 128\nbatchTimeoutMicros: 0\nmaxEnqueuedBatches: 2\nnumBatchThreads: 2\nmaxBatchSizes: 3',
        ),
      ),
    ).toEqual([
      'tfserving.batching: unknown field maxBatchSizes; allowed: maxBatchSize, batchTimeoutMicros, maxEnqueuedBatches, numBatchThreads, threadPoolName, allowedBatchSizes, padVariableLengthInputs, enableLargeBatchSplitting, maxExecutionBatchSize',
    ]);
  });

  it('keeps extraArgs off the flags the scenario sets, and the deadline above the startup allowance', () => {
    const text = GOOD.replace(
      '  interOpParallelism: 4\n',
      '  interOpParallelism: 4\n  extraArgs: ["--tensorflow_intra_op_parallelism=2", "--rest_api_num_threads=8"]\n',
    );
    expect(problems(`${text}rollout:\n  progressDeadlineSeconds: 300\n`)).toEqual([
      'tfserving.extraArgs: --tensorflow_intra_op_parallelism is set from tfserving.intraOpParallelism; set it there instead',
      'rollout.progressDeadlineSeconds: 300 must exceed probes.startupSeconds (600), or a slow model load counts as a failed rollout',
    ]);
  });

  it('checks the node against its machine type, and wants the shape of unknown types', () => {
    expect(
      problems(GOOD.replace('machineType: n2-custom-8-16384', 'machineType: n2-custom-8-16384\n  vcpus: 4')),
    ).toEqual(['node.vcpus: 4 does not match machine type n2-custom-8-16384 (8 vCPU)']);
    expect(problems(GOOD.replace('n2-custom-8-16384', 'z9-mega-8'))).toEqual([
      'node.machineType: z9-mega-8 is not a type this project knows; give node.vcpus and node.memoryGiB',
    ]);
    const explicit = GOOD.replace('n2-custom-8-16384', 'z9-mega-8\n  vcpus: 8\n  memoryGiB: 32');
    expect(parseScenario(explicit, 'x.yaml').node).toMatchObject({ vcpus: 8, memoryGiB: 32 });
  });

  it('takes its name from the file and refuses names that are not DNS labels', () => {
    expect(problems(GOOD, 'scenarios/Big_One.yaml')).toEqual([
      "name: 'Big_One' is not a scenario name: lower-case letters, digits and dashes, at most 63",
    ]);
  });
});

describe('loading scenarios from a directory', () => {
  writeFileSync(join(dir, 'small.yaml'), GOOD);
  writeFileSync(join(dir, 'broken.yaml'), GOOD.replace('replicas: 2', 'replicas: 0'));
  writeFileSync(join(dir, 'notes.txt'), 'not a scenario');

  it('lists the names and loads one', async () => {
    expect(await scenarioNames(dir)).toEqual(['broken', 'small']);
    expect((await loadScenario('small', dir)).name).toBe('small');
  });

  it('turns an unknown or malformed name into an error listing the scenarios there are', async () => {
    for (const name of ['large', '../small', 'SMALL']) {
      const error = await loadScenario(name, dir).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(UnknownScenarioError);
      expect((error as Error).message).toBe(
        `unknown scenario '${name}': expected one of broken, small (scenarios are the files ${join(dir, '*.yaml')}; \`modelship scenarios\` lists them)`,
      );
    }
  });

  it('reports every bad file at once', async () => {
    await expect(loadScenarios(dir)).rejects.toThrow(`${join(dir, 'broken.yaml')}: replicas: at least 1; found 0`);
  });
});
