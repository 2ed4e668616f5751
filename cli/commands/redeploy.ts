import { loadConfig } from '../../shared/config.js';
import { requireGoogleAccess } from '../../operator/google-access.js';
import { createPublisher } from '../../shared/gcp/publisher.js';
import { createFirestoreStore } from '../../shared/store.js';
import { TOPICS } from '../../shared/topics.js';
import { UsageError, parseOptions } from '../../shared/command-line.js';
import { type Command } from '../command.js';

const usage = `Usage: modelship redeploy --scenario NAME [--image REGISTRY/PATH@sha256:DIGEST]

Deploys an image with a scenario as a candidate beside the serving deployment, measures it (against the serving
image with the same scenario, when that differs) and promotes it if the gate passes it and PROMOTION=auto, by
publishing DeployRequested to the '${TOPICS.deployRequested}' topic of GOOGLE_CLOUD_PROJECT: a release run without
a release. Without --image, the image of the last deployment that succeeded is used. The scenario and the image are
checked here, before anything is published. 'modelship scenarios' lists scenarios.

Options:
  --scenario NAME   a scenario of scenarios/ (e.g. 2n-8c-16r-interop4)
  --image IMAGE     an image by digest`;

export const redeployCommand: Command = {
  usage,
  async run(argv) {
    const { values } = parseOptions(argv, { scenario: { type: 'string' }, image: { type: 'string' } });
    if (!values.scenario) throw new UsageError('--scenario is required');
    const { GOOGLE_CLOUD_PROJECT: projectId, K8S_NAMESPACE } = loadConfig(['GOOGLE_CLOUD_PROJECT', 'K8S_NAMESPACE']);
    await requireGoogleAccess(['firestore', 'pubsub'], projectId);
    // The clients load once the checks have passed: a command that cannot reach them answers at once.
    const [{ Firestore }, { PubSub }, { redeploy }] = await Promise.all([
      import('@google-cloud/firestore'),
      import('@google-cloud/pubsub'),
      import('../../operator/redeploy.js'),
    ]);
    const db = new Firestore({ projectId });
    const pubsub = new PubSub({ projectId });
    try {
      const message = await redeploy(
        { scenarios: [values.scenario], namespace: K8S_NAMESPACE, ...(values.image ? { image: values.image } : {}) },
        { store: createFirestoreStore(db), publish: createPublisher(pubsub) },
      );
      console.log(
        `published DeployRequested: run ${message.runId}, scenario ${message.scenario}, image ${message.image}`,
      );
      console.log(`follow it with: modelship runs show ${message.runId}`);
      return 0;
    } finally {
      await Promise.all([db.terminate(), pubsub.close()]);
    }
  },
};
