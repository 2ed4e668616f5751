import { stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { extractArchive } from './safe-extract.js';
import { fetchAsset } from './fetch-asset.js';
import { layOutModel } from './model-layout.js';
import { smokeCheck } from './smoke-check.js';
import { directoryEntries, writeTarFile } from './tar-writer.js';
import { loadConfig } from '../shared/config.js';
import { UsageError, parseOptions } from '../shared/command-line.js';
import { errorMessage } from '../shared/errors.js';

export const BAKE_USAGE = `Usage: modelship bake ACTION [options]

The steps of cloudbuild/bake-model.yaml, one action each, run in Cloud Build from the modelship image (and in-process
by the local Cloud Build emulator). Relative paths are under the current directory (/workspace in Cloud Build).

Actions:
  fetch    --url URL --repository OWNER/NAME --out FILE [--api-url URL] [--max-bytes N]
           download a release asset, only from API-URL/repos/OWNER/NAME/releases/assets/ID (default API URL:
           https://api.github.com); GITHUB_TOKEN from the environment is sent to that host only (private repos)
  extract  --archive FILE --dest DIR [--max-files N] [--max-bytes N]
           extract a .tar.gz or .tar safely: no absolute paths, no "..", no links leaving the tree, no devices
  layout   --source DIR --dest DIR --layer FILE [--model-name NAME] [--version N]
           find and validate the SavedModel, lay it out as DIR/models/NAME/VERSION, write the image layer (a tar)
  smoke    --target HOST:PORT [--model NAME] [--timeout-s N] [--enabled true|false]
           wait for the model to be AVAILABLE on a running server, then send one Predict

Defaults come from the BAKE_* settings (see the README's configuration table).`;

/** What a step runs with: the emulator passes its build's workspace and environment, the CLI its own. */
export interface BakeContext {
  cwd: string;
  env: Record<string, string | undefined>;
  print: (line: string) => void;
  signal?: AbortSignal;
}

function count(value: string | undefined, flag: string): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) <= 0) {
    throw new UsageError(`--${flag} must be a positive whole number, not ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function required(values: Record<string, unknown>, ...flags: string[]): void {
  const missing = flags.filter((f) => values[f] === undefined || values[f] === '');
  if (missing.length) throw new UsageError(`${missing.map((f) => `--${f}`).join(', ')} required`);
}

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/**
 * Runs one bake action. Failures throw (BakeError says why), so that the build step exits non-zero. In Cloud Build
 * the reason also goes to $BUILDER_OUTPUT/output: Cloud Build keeps a failed step's output in
 * results.buildStepOutputs (its worker captures the file whatever the exit code), so onBuildFinished can put the
 * precise reason on the run, not only "step exited with non-zero status".
 */
export async function runBake(argv: readonly string[], ctx: BakeContext): Promise<void> {
  try {
    await bakeAction(argv, ctx);
  } catch (err) {
    const output = ctx.env.BUILDER_OUTPUT;
    if (output) await writeFile(join(output, 'output'), errorMessage(err)).catch(() => undefined);
    throw err;
  }
}

async function bakeAction(argv: readonly string[], ctx: BakeContext): Promise<void> {
  const [action, ...rest] = argv;
  const defaults = loadConfig(
    [
      'BAKE_MAX_ASSET_BYTES',
      'BAKE_MAX_FILES',
      'BAKE_MAX_EXTRACTED_BYTES',
      'BAKE_MODEL_NAME',
      'BAKE_MODEL_VERSION',
      'GITHUB_API_URL',
    ],
    {},
  );
  const path = (p: string) => resolve(ctx.cwd, p);
  const shown = (p: string) => relative(ctx.cwd, path(p)) || '.';
  const t0 = performance.now();
  const str = { type: 'string' } as const;
  switch (action) {
    case 'fetch': {
      const { values } = parseOptions(rest, {
        url: str,
        repository: str,
        'api-url': str,
        out: str,
        'max-bytes': str,
      });
      required(values, 'url', 'repository', 'out');
      const got = await fetchAsset({
        url: values.url as string,
        repository: values.repository as string,
        apiUrl: (values['api-url'] ?? defaults.GITHUB_API_URL).replace(/\/+$/, ''),
        out: path(values.out as string),
        maxBytes: count(values['max-bytes'] ?? String(defaults.BAKE_MAX_ASSET_BYTES), 'max-bytes'),
        ...(ctx.env.GITHUB_TOKEN ? { token: ctx.env.GITHUB_TOKEN } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      ctx.print(`downloaded ${got.bytes} bytes from ${got.finalUrl} in ${seconds(t0)}, sha256 ${got.sha256}`);
      return;
    }
    case 'extract': {
      const { values } = parseOptions(rest, { archive: str, dest: str, 'max-files': str, 'max-bytes': str });
      required(values, 'archive', 'dest');
      const limits = {
        maxFiles: count(values['max-files'] ?? String(defaults.BAKE_MAX_FILES), 'max-files'),
        maxBytes: count(values['max-bytes'] ?? String(defaults.BAKE_MAX_EXTRACTED_BYTES), 'max-bytes'),
      };
      const s = await extractArchive(path(values.archive as string), path(values.dest as string), limits, ctx.signal);
      ctx.print(
        `extracted ${s.entries} entries (${s.files} files, ${s.directories} directories, ${s.links} links, ` +
          `${s.bytes} bytes) into ${shown(values.dest as string)}/ in ${seconds(t0)}`,
      );
      return;
    }
    case 'layout': {
      const { values } = parseOptions(rest, { source: str, dest: str, layer: str, 'model-name': str, version: str });
      required(values, 'source', 'dest', 'layer');
      const model = await layOutModel(path(values.source as string), path(values.dest as string), {
        modelName: values['model-name'] ?? defaults.BAKE_MODEL_NAME,
        version: count(values.version ?? String(defaults.BAKE_MODEL_VERSION), 'version'),
      });
      ctx.print(
        `SavedModel found at ${model.foundAt || 'the top'} of the release → models/${model.modelName}/${model.version}` +
          `${model.versionAdded ? ' (version directory added)' : ''}: ${model.files} files, ${model.bytes} bytes`,
      );
      for (const s of Object.values(model.signatures)) {
        const io = (m: typeof s.inputs) => Object.values(m).map((t) => `${t.name} ${t.dtype} [${t.shape.join(',')}]`);
        ctx.print(`  signature ${s.name}: ${io(s.inputs).join(', ') || '()'} → ${io(s.outputs).join(', ') || '()'}`);
      }
      await writeTarFile(directoryEntries(path(values.dest as string)), path(values.layer as string));
      const { size } = await stat(path(values.layer as string));
      ctx.print(`image layer ${shown(values.layer as string)} written: ${size} bytes, in ${seconds(t0)}`);
      return;
    }
    case 'smoke': {
      const { values } = parseOptions(rest, { target: str, model: str, 'timeout-s': str, enabled: str });
      if ((values.enabled ?? 'true') !== 'true') {
        ctx.print(`smoke check off (--enabled ${values.enabled})`);
        return;
      }
      required(values, 'target');
      await smokeCheck({
        target: values.target as string,
        modelName: values.model ?? defaults.BAKE_MODEL_NAME,
        timeoutMs: count(values['timeout-s'] ?? '300', 'timeout-s') * 1000,
        print: ctx.print,
      });
      return;
    }
    default:
      throw new UsageError(action ? `unknown action '${action}'` : 'an action is required');
  }
}
