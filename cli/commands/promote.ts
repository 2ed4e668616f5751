import { UsageError, parseOptions } from '../../shared/command-line.js';
import { loadConfig } from '../../shared/config.js';
import { requireGoogleAccess } from '../../operator/google-access.js';
import { createPublisher } from '../../shared/gcp/publisher.js';
import { createFirestoreStore } from '../../shared/store.js';
import { TOPICS } from '../../shared/topics.js';
import { type Command } from '../command.js';

const usage = `Usage: modelship promote RUN_ID [--scenario S]

Serves a measured candidate of a run that has ended: the deployer rolls it out as the serving deployment by digest
(and rolls back to the last good deployment if the rollout fails), and records the outcome on the run. For
PROMOTION=manual, or to serve another candidate than the gate chose. Publishes PromoteRequested to the
'${TOPICS.promoteRequested}' topic of GOOGLE_CLOUD_PROJECT.

Options:
  --scenario S   the candidate (default: the one candidate that passed the gate)`;

export const promoteCommand: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { scenario: { type: 'string' } }, true);
    const [runId, ...extra] = positionals;
    if (!runId || extra.length) throw new UsageError('promote takes exactly one RUN_ID');
    const { GOOGLE_CLOUD_PROJECT: projectId } = loadConfig(['GOOGLE_CLOUD_PROJECT']);
    await requireGoogleAccess(['firestore', 'pubsub'], projectId);
    // The clients load once the checks have passed: a command that cannot reach them answers at once.
    const [{ Firestore }, { PubSub }, { promote }] = await Promise.all([
      import('@google-cloud/firestore'),
      import('@google-cloud/pubsub'),
      import('../../operator/promote.js'),
    ]);
    const db = new Firestore({ projectId });
    const pubsub = new PubSub({ projectId });
    try {
      const message = await promote(
        { runId, ...(values.scenario ? { scenario: values.scenario } : {}) },
        { store: createFirestoreStore(db), publish: createPublisher(pubsub) },
      );
      console.log(`published PromoteRequested: run ${runId}, scenario ${message.scenario}, image ${message.image}`);
      console.log(`follow it with: modelship runs show ${runId}`);
      return 0;
    } finally {
      await Promise.all([db.terminate(), pubsub.close()]);
    }
  },
};
