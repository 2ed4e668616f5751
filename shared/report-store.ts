import { cp, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Storage } from '@google-cloud/storage';
import { ConfigError, TransientError } from './errors.js';

/**
 * Where load-test reports are kept: a Cloud Storage bucket in Google Cloud, a directory in the local stack. The
 * small object operations are what the tasks of one load test exchange through it (loadtest/task-barrier.ts).
 */
export interface ReportStore {
  /** Copies every file of `dir` under `prefix/`; returns the address of `prefix/report.html`. */
  put(dir: string, prefix: string): Promise<string>;
  /**
   * Writes one object (JSON unless `contentType` says otherwise) and returns its address; a reader sees the whole of
   * it or nothing.
   */
  putObject(path: string, data: string, contentType?: string): Promise<string>;
  /** One object's text; undefined when there is none. */
  getObject(path: string): Promise<string | undefined>;
  /** The paths of every object under `prefix/`, as putObject names them. */
  list(prefix: string): Promise<string[]>;
}

const JSON_TYPE = 'application/json';

const ENOENT = (err: unknown): boolean => (err as { code?: unknown }).code === 'ENOENT';

/**
 * REPORT_BUCKET is `gs://BUCKET[/PATH]` or `file:///DIR`. Cloud Storage gets one object per file; the returned
 * address opens the report in a browser for anyone with read access to the bucket.
 */
export function createReportStore(location: string, storage: () => Storage): ReportStore {
  if (location.startsWith('file://')) return directoryStore(fileURLToPath(location));
  const match = /^gs:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match)
    throw new ConfigError([`REPORT_BUCKET=${JSON.stringify(location)} must be gs://BUCKET[/PATH] or file:///DIR`]);
  const [, name = '', base = ''] = match;
  const full = (path: string): string => [base.replace(/\/$/, ''), path].filter(Boolean).join('/');
  const bucket = () => storage().bucket(name);
  const failed = (what: string, path: string, permission: string, err: unknown) =>
    new TransientError(`${what} gs://${name}/${full(path)} failed`, {
      cause: err,
      hint: `the job needs ${permission} on the bucket`,
    });
  return {
    async put(dir, prefix) {
      const path = full(prefix);
      try {
        const files = await readdir(dir);
        await Promise.all(files.map((f) => bucket().upload(join(dir, f), { destination: `${path}/${f}` })));
      } catch (err) {
        throw failed('uploading the load-test report to', prefix, 'roles/storage.objectCreator', err);
      }
      return `https://storage.cloud.google.com/${name}/${path}/report.html`;
    },
    async putObject(path, data, contentType = JSON_TYPE) {
      // One upload request: Cloud Storage makes an object visible whole, or not at all.
      await bucket()
        .file(full(path))
        .save(data, { resumable: false, contentType })
        .catch((err: unknown) => {
          throw failed('writing', path, 'storage.objects.create', err);
        });
      return `https://storage.cloud.google.com/${name}/${full(path)}`;
    },
    async getObject(path) {
      try {
        const [data] = await bucket().file(full(path)).download();
        return data.toString('utf8');
      } catch (err) {
        if ((err as { code?: unknown }).code === 404) return undefined;
        throw failed('reading', path, 'storage.objects.get', err);
      }
    },
    async list(prefix) {
      const strip = base ? base.replace(/\/$/, '').length + 1 : 0;
      try {
        const [files] = await bucket().getFiles({ prefix: `${full(prefix)}/` });
        return files.map((f) => f.name.slice(strip));
      } catch (err) {
        throw failed('listing', prefix, 'storage.objects.list', err);
      }
    },
  };
}

/** The local stack's store: a directory, written through a rename so that a reader never sees half an object. */
function directoryStore(root: string): ReportStore {
  return {
    async put(dir, prefix) {
      await cp(dir, join(root, prefix), { recursive: true });
      return `file://${join(root, prefix, 'report.html')}`;
    },
    async putObject(path, data) {
      const file = join(root, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.partial`, data);
      await rename(`${file}.partial`, file);
      return `file://${file}`;
    },
    async getObject(path) {
      return readFile(join(root, path), 'utf8').catch((err: unknown) => {
        if (ENOENT(err)) return undefined;
        throw err;
      });
    },
    async list(prefix) {
      const dir = join(root, prefix);
      const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err: unknown) => {
        if (ENOENT(err)) return [];
        throw err;
      });
      return entries
        .filter((e) => e.isFile() && !e.name.endsWith('.partial'))
        .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'));
    },
  };
}
