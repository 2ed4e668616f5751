import * as functions from '@google-cloud/functions-framework';
import { TOPICS } from '../shared/topics.js';

/**
 * The baselines of `npm run bench:cold-start`, on the same framework as the functions:
 * - `hello` answers 200: the framework alone, the figure every function is divided by;
 * - `clientsImported` imports @google-cloud/firestore and @google-cloud/pubsub on its first request, then answers;
 * - `clientsCalled` also makes the two calls the webhook cannot do without: one Firestore write and one publish.
 * The last two are the floor of any function built on those clients: what the webhook costs beyond them is its own.
 */
functions.http('hello', (_req, res) => {
  res.status(200).send('ok');
});

const project = () => process.env.GOOGLE_CLOUD_PROJECT ?? 'modelship-bench';
const clients = async () => {
  const [{ Firestore }, { PubSub }] = await Promise.all([
    import('@google-cloud/firestore'),
    import('@google-cloud/pubsub'),
  ]);
  return { firestore: new Firestore({ projectId: project() }), pubsub: new PubSub({ projectId: project() }) };
};

functions.http('clientsImported', async (_req, res) => {
  await clients();
  res.status(200).send('ok');
});

functions.http('clientsCalled', async (_req, res) => {
  const { firestore, pubsub } = await clients();
  await firestore.collection('bench').doc().create({ at: new Date().toISOString() });
  await pubsub.topic(TOPICS.pipelineFailed).publishMessage({ data: Buffer.from('{}') });
  res.status(200).send('ok');
});
