import { Firestore } from '@google-cloud/firestore';
import { loadConfig } from '../../shared/config.js';
import { ModelshipError } from '../../shared/errors.js';
import { runDetail, runsTable } from '../../operator/run-view.js';
import { runRecord } from '../../operator/run-record.js';
import { createFirestoreStore } from '../../shared/store.js';
import { UsageError, parseOptions } from '../../shared/command-line.js';
import { type Command } from '../command.js';

const usage = `Usage: modelship runs [--limit N]
       modelship runs show RUN_ID [--json]

Lists the pipeline's runs, newest first, with the stage each reached and its outcome; 'show' gives one in full
(every stage with its time and details, each candidate with its figures and the gate's verdict, the promotion).
Reads Firestore in GOOGLE_CLOUD_PROJECT (FIRESTORE_EMULATOR_HOST for the local stack).

Options:
  --limit N   how many runs to list (default 20)
  --json      show: the run as JSON (candidates[], promotion; docs/gate.md)`;

export const runs: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      { limit: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
      true,
    );
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`--limit must be a positive whole number, not '${values.limit}'`);
    const [action, id, ...extra] = positionals;
    if (extra.length || (action && action !== 'show') || (action === 'show' && !id)) {
      throw new UsageError(action === 'show' ? 'runs show takes exactly one RUN_ID' : `unknown action '${action}'`);
    }
    const { GOOGLE_CLOUD_PROJECT } = loadConfig(['GOOGLE_CLOUD_PROJECT']);
    const db = new Firestore({ projectId: GOOGLE_CLOUD_PROJECT });
    try {
      const store = createFirestoreStore(db);
      if (id) {
        const run = await store.getRun(id);
        if (!run)
          throw new ModelshipError(`run ${id} not found in project ${GOOGLE_CLOUD_PROJECT}`, {
            hint: 'modelship runs lists them',
          });
        console.log(values.json ? JSON.stringify(runRecord(run), null, 2) : runDetail(run));
      } else {
        console.log(runsTable(await store.listRuns(limit)));
      }
      return 0;
    } finally {
      await db.terminate();
    }
  },
};
