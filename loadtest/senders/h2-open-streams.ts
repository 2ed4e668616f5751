import type { H2Stream } from './h2-stream.js';

/**
 * A connection's open streams by id. Ids are odd and handed out in order, and a stream closes soon after the ones
 * opened just before it, so stream n lives in slot (n >> 1) mod the table's size, which doubles when a slot is still
 * taken by an older stream. No hashing and nothing allocated per stream: a Map here rebuilt its table in the old
 * generation as streams came and went, and the discarded tables kept finished streams reachable for the
 * young-generation GC to copy.
 */
export class OpenStreams {
  private slots: (H2Stream | undefined)[] = new Array<H2Stream | undefined>(64).fill(undefined);
  size = 0;

  get(id: number): H2Stream | undefined {
    const stream = this.slots[this.slot(id)];
    return stream?.id === id ? stream : undefined;
  }

  /** Adds a stream whose id is set. */
  add(stream: H2Stream): void {
    while (this.slots[this.slot(stream.id)] !== undefined) this.grow();
    this.slots[this.slot(stream.id)] = stream;
    this.size += 1;
  }

  delete(id: number): void {
    const slot = this.slot(id);
    if (this.slots[slot]?.id !== id) return;
    this.slots[slot] = undefined;
    this.size -= 1;
  }

  /** The open streams, oldest first. */
  values(): H2Stream[] {
    return this.slots.filter((s): s is H2Stream => s !== undefined).sort((a, b) => a.id - b.id);
  }

  /** Stream id's slot in the table as it is now (its length a power of two). */
  private slot(id: number): number {
    return (id >>> 1) & (this.slots.length - 1);
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Array<H2Stream | undefined>(old.length * 2).fill(undefined);
    for (const stream of old) if (stream) this.slots[this.slot(stream.id)] = stream;
  }
}
