import { DEFAULT_SCENARIO, formatCpu, formatMemory, loadScenarios, scenariosDir } from '../../shared/deploy/index.js';
import type { Scenario } from '../../shared/deploy/index.js';
import { parseOptions } from '../../shared/command-line.js';
import { type Command } from '../command.js';

const usage = `Usage: modelship scenarios [--dir DIR] [--json]

Lists the serving scenarios (scenarios/*.yaml) with their key values: replicas, node machine type, the pod's CPU
and memory (requests = limits, what the node offers a pod by the GKE fit rule unless the file says less),
TF Serving's inter-op and intra-op threads, and batching. The default scenario is marked with *.
Every file is validated; a bad one is reported with its file, field and what is allowed.

Options:
  --dir DIR   scenario directory (default: the package's scenarios/)
  --json      print the resolved scenarios as JSON`;

function row(s: Scenario): string[] {
  const b = s.tfserving.batching;
  return [
    `${s.name}${s.name === DEFAULT_SCENARIO ? ' *' : ''}`,
    String(s.replicas),
    s.node.machineType,
    `${s.node.vcpus} vCPU / ${s.node.memoryGiB} GiB`,
    `${formatCpu(s.resources.cpuMillis)} / ${formatMemory(s.resources.memoryMiB)}`,
    `${s.tfserving.interOpParallelism} / ${s.tfserving.intraOpParallelism}`,
    b ? `max ${b.maxBatchSize}, ${b.batchTimeoutMicros} µs, ${b.numBatchThreads} threads` : 'off',
  ];
}

/** Columns padded to their widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const scenariosCommand: Command = {
  usage,
  async run(argv) {
    const { values } = parseOptions(argv, { dir: { type: 'string' }, json: { type: 'boolean', default: false } });
    const scenarios = await loadScenarios(values.dir ?? scenariosDir());
    if (values.json) {
      console.log(JSON.stringify(scenarios, null, 2));
      return 0;
    }
    const header = ['SCENARIO', 'REPLICAS', 'MACHINE', 'NODE', 'POD CPU / MEMORY', 'INTER / INTRA', 'BATCHING'];
    console.log(table([header, ...scenarios.map(row)]));
    return 0;
  },
};
