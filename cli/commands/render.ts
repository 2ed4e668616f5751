import { loadScenario, manifestsYaml, renderScenario, scenariosDir } from '../../shared/deploy/index.js';
import { exposureWarning } from '../../operator/exposure-warnings.js';
import { UsageError, parseOptions } from '../../shared/command-line.js';
import { type Command } from '../command.js';

const usage = `Usage: modelship render SCENARIO --image REGISTRY/REPO@sha256:DIGEST [options]

Prints the Kubernetes objects of a scenario as YAML, for \`kubectl apply --server-side --field-manager=modelship -f -\`
(the apply the pipeline makes): the batching ConfigMap (batching scenarios), the Deployment, the
LoadBalancer Service (gRPC 8500, REST 8501; internal unless the scenario says service.exposure: external, which
is warned about on stderr) and the headless Service. The image must be pinned by digest.

Options:
  --image IMAGE        the TF Serving image with the model baked in, by digest (required)
  --namespace NS       namespace of the objects (default: default)
  --replicas N         run N pods instead of the scenario's replicas (a smaller local cluster)
  --no-node-selector   do not pin pods to the scenario's GKE node pool (kind, minikube, other clusters)
  --run-id ID          record a run id on the Deployment
  --dir DIR            scenario directory (default: the package's scenarios/)`;

export const renderCommand: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      {
        image: { type: 'string' },
        namespace: { type: 'string' },
        replicas: { type: 'string' },
        'no-node-selector': { type: 'boolean', default: false },
        'run-id': { type: 'string' },
        dir: { type: 'string' },
      },
      true,
    );
    const [name, ...extra] = positionals;
    if (!name || extra.length > 0) throw new UsageError('give exactly one SCENARIO (modelship scenarios lists them)');
    if (!values.image) throw new UsageError('--image is required');
    const replicas = values.replicas === undefined ? undefined : Number(values.replicas);
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1)) {
      throw new UsageError(`--replicas must be a positive whole number, not '${values.replicas}'`);
    }
    const scenario = await loadScenario(name, values.dir ?? scenariosDir());
    const objects = renderScenario(scenario, values.image, {
      nodeSelector: !values['no-node-selector'],
      ...(values.namespace ? { namespace: values.namespace } : {}),
      ...(replicas ? { replicas } : {}),
      ...(values['run-id'] ? { runId: values['run-id'] } : {}),
    });
    // On stderr: stdout stays the YAML that is piped to kubectl.
    const warning = exposureWarning(scenario);
    if (warning) process.stderr.write(`${warning}\n`);
    process.stdout.write(manifestsYaml(objects));
    return 0;
  },
};
