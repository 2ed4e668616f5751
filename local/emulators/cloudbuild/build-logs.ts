import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

/**
 * Build logs as Cloud Build writes them (`Step #1 - "extract": ...`), kept per build, written to `<dir>/<id>.log`
 * and served over HTTP at `<url>/<id>`: each build's `logUrl`.
 */
export interface BuildLogs {
  url: string;
  /** A writer for one build's log. */
  open(buildId: string): (line: string) => void;
  close(buildId: string): void;
  text(buildId: string): string | undefined;
  stop(): Promise<void>;
}

export async function startBuildLogs(dir: string): Promise<BuildLogs> {
  mkdirSync(dir, { recursive: true });
  const lines = new Map<string, string[]>();
  const files = new Map<string, WriteStream>();
  const server = createServer((req, res) => {
    const id = decodeURIComponent(/^\/builds\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '');
    const log = lines.get(id);
    if (!log) res.writeHead(404, { 'content-type': 'text/plain' }).end(`no build ${id}\n`);
    else res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`${log.join('\n')}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/builds`;
  return {
    url,
    open(buildId) {
      const log: string[] = [];
      lines.set(buildId, log);
      const file = createWriteStream(join(dir, `${buildId}.log`));
      files.set(buildId, file);
      return (line) => {
        log.push(line);
        file.write(`${line}\n`);
      };
    },
    close(buildId) {
      files.get(buildId)?.end();
      files.delete(buildId);
    },
    text: (buildId) => lines.get(buildId)?.join('\n'),
    async stop() {
      for (const file of files.values()) file.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
