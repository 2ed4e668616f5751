import { cp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Storage } from '@google-cloud/storage';
import { readdir } from 'node:fs/promises';
import { ConfigError, TransientError } from './errors.js';

/** Where load-test reports are kept: a Cloud Storage bucket in Google Cloud, a directory in the local stack. */
export interface ReportStore {
  /** Copies every file of `dir` under `prefix/`; returns the address of `prefix/report.html`. */
  put(dir: string, prefix: string): Promise<string>;
  /** Writes one file at `path` (under the store's root); returns its address. */
  putText(path: string, text: string, contentType: string): Promise<string>;
}

/**
 * REPORT_BUCKET is `gs://BUCKET[/PATH]` or `file:///DIR`. Cloud Storage gets one object per file; the returned
 * address opens the report in a browser for anyone with read access to the bucket.
 */
export function createReportStore(location: string, storage: () => Storage): ReportStore {
  if (location.startsWith('file://')) {
    const root = fileURLToPath(location);
    return {
      async put(dir, prefix) {
        await cp(dir, join(root, prefix), { recursive: true });
        return `file://${join(root, prefix, 'report.html')}`;
      },
      async putText(path, text) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        await writeFile(join(root, path), text);
        return `file://${join(root, path)}`;
      },
    };
  }
  const match = /^gs:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match)
    throw new ConfigError([`REPORT_BUCKET=${JSON.stringify(location)} must be gs://BUCKET[/PATH] or file:///DIR`]);
  const [, bucket = '', base = ''] = match;
  return {
    async put(dir, prefix) {
      const path = [base.replace(/\/$/, ''), prefix].filter(Boolean).join('/');
      try {
        const files = await readdir(dir);
        await Promise.all(
          files.map((f) =>
            storage()
              .bucket(bucket)
              .upload(join(dir, f), { destination: `${path}/${f}` }),
          ),
        );
      } catch (err) {
        throw new TransientError(`uploading the load-test report to gs://${bucket}/${path} failed`, {
          cause: err,
          hint: 'the job needs roles/storage.objectCreator on the bucket',
        });
      }
      return `https://storage.cloud.google.com/${bucket}/${path}/report.html`;
    },
    async putText(path, text, contentType) {
      const object = [base.replace(/\/$/, ''), path].filter(Boolean).join('/');
      try {
        await storage().bucket(bucket).file(object).save(text, { contentType, resumable: false });
      } catch (err) {
        throw new TransientError(`writing gs://${bucket}/${object} failed`, {
          cause: err,
          hint: 'the writer needs storage.objects.create on the bucket (shared/wiring.ts, docs/gcp.md)',
        });
      }
      return `https://storage.cloud.google.com/${bucket}/${object}`;
    },
  };
}
