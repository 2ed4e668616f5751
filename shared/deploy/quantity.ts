/**
 * Kubernetes resource quantities for the two resources a scenario sets. CPU is kept in millicores and memory in
 * MiB, the units the fit rule rounds to, and both are written back in Kubernetes' canonical form.
 */

const CPU = /^(\d+(?:\.\d+)?)(m?)$/;
const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_BYTES: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

/** `7500m`, `7.5` or `8` → millicores; undefined when the text is not a CPU quantity. */
export function parseCpuMillis(text: string): number | undefined {
  const m = CPU.exec(text.trim());
  if (!m) return undefined;
  const millis = m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000;
  return Number.isInteger(millis) ? millis : undefined;
}

/** `13056Mi`, `12.75Gi`, `14G` → MiB, rounded down; undefined when the text is not a memory quantity. */
export function parseMemoryMiB(text: string): number | undefined {
  const m = MEMORY.exec(text.trim());
  if (!m) return undefined;
  return Math.floor((Number(m[1]) * (MEMORY_BYTES[m[2] ?? ''] ?? 1)) / 2 ** 20);
}

export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

export function formatMemory(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}
