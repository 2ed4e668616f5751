import { parseArgs } from 'node:util';
import { errorMessage } from '../../../shared/errors.js';
import { mutate } from './mutate.js';
import { isLoopback, parseReference, type ImageReference } from './reference.js';
import { RegistryClient } from './registry-client.js';

/**
 * LOCAL STAND-IN for gcr.io/go-containerregistry/gcrane, which cannot be pulled here: the subset of crane that the
 * bake's push step uses, over the registry API as crane does. It talks only to a registry on this machine.
 *   gcrane mutate BASE --append LAYER.tar [--append …] --env K=V [--env …] --tag TARGET
 *   gcrane digest REF
 *   gcrane version
 * Output and errors follow crane's: the result on stdout, `Error: …` on stderr and exit 1 on failure.
 */

const VERSION = 'modelship-standin (crane subset: mutate --append/--env/--tag, digest, version)';
const USAGE =
  'usage: gcrane mutate BASE --append LAYER.tar --env K=V --tag TARGET | gcrane digest REF | gcrane version';

/** A reference this stand-in may use: parsed, and in a registry on this machine. */
function localReference(text: string): ImageReference {
  const ref = parseReference(text);
  if (!isLoopback(ref.registry))
    throw new Error(
      `${text}: registry ${ref.registry} is not on this machine; this gcrane is modelship's local stand-in ` +
        '(local/images/gcrane) and talks only to a registry on 127.0.0.1 or localhost',
    );
  return ref;
}

function oneArgument(command: string, positionals: string[]): string {
  if (positionals.length !== 1)
    throw new Error(`${command} takes exactly 1 argument, got ${positionals.length}; ${USAGE}`);
  return positionals[0]!;
}

async function run(argv: string[]): Promise<string> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'mutate': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          append: { type: 'string', multiple: true, default: [] },
          env: { type: 'string', short: 'e', multiple: true, default: [] },
          tag: { type: 'string', short: 't' },
        },
      });
      const base = localReference(oneArgument('mutate', positionals));
      if (!values.tag) throw new Error('mutate: --tag is required by this stand-in (the bake always names its target)');
      const bad = values.env.find((pair) => pair.indexOf('=') < 1);
      if (bad !== undefined) throw new Error(`--env ${JSON.stringify(bad)}: want KEY=VALUE`);
      const target = localReference(values.tag);
      const digest = await mutate({ base, target, layers: values.append, env: values.env });
      return `${target.registry}/${target.repository}@${digest}`;
    }
    case 'digest': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      const ref = localReference(oneArgument('digest', positionals));
      return (await new RegistryClient(ref.registry).getManifest(ref.repository, ref.reference)).digest;
    }
    case 'version':
      parseArgs({ args: rest, options: {} });
      return VERSION;
    case undefined:
      throw new Error(USAGE);
    default:
      throw new Error(`unknown command ${JSON.stringify(command)} for "gcrane"; ${USAGE}`);
  }
}

run(process.argv.slice(2)).then(
  (out) => console.log(out),
  (err: unknown) => {
    console.error(`Error: ${errorMessage(err)}`);
    process.exitCode = 1;
  },
);
