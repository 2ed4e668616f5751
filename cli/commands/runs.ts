import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Firestore } from '@google-cloud/firestore';
import { loadConfig } from '../../shared/config.js';
import { ModelshipError } from '../../shared/errors.js';
import { requireGoogleAccess } from '../../operator/google-access.js';
import { runDetail, runsTable, type RunSummary } from '../../operator/run-view.js';
import { runRecord } from '../../operator/run-record.js';
import { createFirestoreStore } from '../../shared/store.js';
import { stackRecordFile } from '../../local/stack-record.js';
import { UsageError, parseOptions } from '../../shared/command-line.js';
import { type Command } from '../command.js';

const usage = `Usage: modelship runs [--limit N] [--dir DIR]
       modelship runs show RUN_ID [--json] [--dir DIR]

Lists the pipeline's runs, newest first, with the stage each reached and its outcome; 'show' gives one in full
(every stage with its time and details, each candidate with its figures and the gate's verdict, the promotion).

Where the runs are read, the first that applies:
  FIRESTORE_EMULATOR_HOST is set   that emulator (the env file of 'modelship local up' sets it)
  GOOGLE_CLOUD_PROJECT is set      Firestore in that project, as Application Default Credentials
                                   (gcloud auth application-default login)
  'modelship local up' runs in DIR its Firestore
  otherwise                        the records 'modelship local release' wrote in DIR/runs/ (show: as JSON)
An emulator that does not answer, or a project without credentials, is an error (exit code 2) at once.

Options:
  --limit N   how many runs to list (default 20)
  --json      show: the run as JSON (candidates[], promotion; docs/gate.md)
  --dir DIR   the local stack's directory (default .modelship)`;

type RunView = ReturnType<typeof runRecord>;

export const runs: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      {
        limit: { type: 'string', default: '20' },
        json: { type: 'boolean', default: false },
        dir: { type: 'string', default: '.modelship' },
      },
      true,
    );
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`--limit must be a positive whole number, not '${values.limit}'`);
    const [action, id, ...extra] = positionals;
    if (extra.length || (action && action !== 'show') || (action === 'show' && !id)) {
      throw new UsageError(action === 'show' ? 'runs show takes exactly one RUN_ID' : `unknown action '${action}'`);
    }
    const show = { id, json: values.json, limit };
    const dir = resolve(values.dir);
    if (process.env.FIRESTORE_EMULATOR_HOST || process.env.GOOGLE_CLOUD_PROJECT) {
      const { GOOGLE_CLOUD_PROJECT: projectId } = loadConfig(['GOOGLE_CLOUD_PROJECT']);
      await requireGoogleAccess(['firestore'], projectId);
      // The clients load only once they are needed: a command that cannot reach them answers at once.
      const { Firestore } = await import('@google-cloud/firestore');
      const db = new Firestore({ projectId });
      try {
        return await fromFirestore(db, `project ${projectId}`, show);
      } finally {
        await db.terminate();
      }
    }
    const attached = existsSync(stackRecordFile(dir))
      ? await (await import('../../local/attached-stack.js')).attachStack(dir)
      : undefined;
    if (attached) {
      try {
        return await fromFirestore(attached.target.firestore, `the local stack up in ${dir}`, show);
      } finally {
        await attached.close();
      }
    }
    return fromRecordFiles(join(dir, 'runs'), show);
  },
};

interface Show {
  id: string | undefined;
  json: boolean;
  limit: number;
}

async function fromFirestore(db: Firestore, where: string, { id, json, limit }: Show): Promise<number> {
  const store = createFirestoreStore(db);
  if (!id) {
    console.log(runsTable(await store.listRuns(limit)));
    return 0;
  }
  const run = await store.getRun(id);
  if (!run) throw new ModelshipError(`run ${id} not found in ${where}`, { hint: 'modelship runs lists them' });
  console.log(json ? JSON.stringify(runRecord(run), null, 2) : runDetail(run));
  return 0;
}

/** With no Firestore to read: the records `modelship local release` keeps, one DIR/runs/RUN_ID.json each. */
async function fromRecordFiles(dir: string, { id, limit }: Show): Promise<number> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^[\w-]+\.json$/.test(n));
  if (names.length === 0) {
    throw new ModelshipError(
      `no runs to read: neither FIRESTORE_EMULATOR_HOST nor GOOGLE_CLOUD_PROJECT is set, no local stack is up in ${resolve(dir, '..')}, and ${dir} holds no run records`,
      {
        hint: 'set GOOGLE_CLOUD_PROJECT for the pipeline in Google Cloud, source the env file of modelship local up, or run modelship local release',
      },
    );
  }
  if (id) {
    if (!names.includes(`${id}.json`))
      throw new ModelshipError(`run ${id} has no record in ${dir}`, { hint: 'modelship runs lists them' });
    process.stdout.write(await readFile(join(dir, `${id}.json`), 'utf8'));
    return 0;
  }
  const views = await Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as RunView));
  const newest = views.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit);
  const summaries: RunSummary[] = newest.map((v) => ({
    runId: v.runId,
    status: v.status,
    stages: v.stages,
    ...(v.failure ? { failure: v.failure } : {}),
    ...(v.release ? { repository: v.release.repository, ...(v.release.tag ? { tag: v.release.tag } : {}) } : {}),
  }));
  console.log(`runs recorded by modelship local release in ${dir} (no Firestore to read: see --help)`);
  console.log(runsTable(summaries));
  return 0;
}
