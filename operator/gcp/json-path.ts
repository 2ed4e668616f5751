/** Small readers for the JSON that `gcloud ... --format=json` prints, and the diff lines built from it. */

/** The value at a dot path (`spec.template.containers.0.image`), or undefined. */
export function at(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** One line per field whose found value is not the wanted one (compared as JSON, so objects compare by value). */
export function compareFields(rows: readonly (readonly [field: string, wanted: unknown, found: unknown])[]): string[] {
  return rows
    .filter(([, wanted, found]) => JSON.stringify(wanted) !== JSON.stringify(found))
    .map(([field, wanted, found]) => `${field}: wanted ${JSON.stringify(wanted)}, found ${JSON.stringify(found)}`);
}

/** Sorts an object's keys so that two maps compare equal whatever order the API returned them in. */
export function sortedRecord(record: unknown): Record<string, unknown> {
  if (record === null || typeof record !== 'object') return {};
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
