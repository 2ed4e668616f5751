import { Firestore } from '@google-cloud/firestore';
import { KubeConfig } from '@kubernetes/client-node';
import { ModelshipError } from '../shared/errors.js';
import type { ReleaseTarget } from './local-release.js';
import { stillRunning } from './process-start.js';
import { readStackRecord, stackRecordFile, type StackRecord } from './stack-record.js';

/** A stack that `modelship local up` runs in another process, reached by the addresses it recorded. */
export interface AttachedStack {
  record: StackRecord;
  target: ReleaseTarget;
  close(): Promise<void>;
}

/**
 * The stack recorded in `dir`, when one is: its releases go there instead of a stack of their own. A record whose
 * process is gone is refused, saying how to clear it.
 */
export async function attachStack(dir: string): Promise<AttachedStack | undefined> {
  const found = await readStackRecord(dir);
  if (!found) return undefined;
  const { record, secrets } = found;
  if (!stillRunning(record)) {
    throw new ModelshipError(
      `${stackRecordFile(dir)} records a local stack whose process ${record.pid} is not running any more`,
      {
        hint: `remove the record with 'modelship local down --dir ${dir}', or start a stack with 'modelship local up'`,
      },
    );
  }
  const firestore = new Firestore({
    projectId: record.project,
    host: record.addresses.firestore,
    ssl: false,
    // The emulator's owner credentials, as the client sends them under FIRESTORE_EMULATOR_HOST.
    customHeaders: { Authorization: 'Bearer owner' },
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(record.kubeconfig);
  return {
    record,
    target: {
      functionsUrl: record.functionsUrl,
      github: { ...record.github, token: secrets.githubToken },
      webhookSecret: secrets.webhookSecret,
      firestore,
      logDir: record.logDir,
      kubeConfig,
    },
    close: () => firestore.terminate(),
  };
}
