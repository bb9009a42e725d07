// The order in which a restore will read chunks, known only a window at a time: the files ahead
// of the one being written add their chunks at the end, the ones written are dropped at the
// start. The prefetch (prefetch.ts) and the chunk reader's URL batches (api/chunk-reader.ts) look
// along it by absolute index. A plain array is the whole order at once (small restores, tests).

export interface ChunkOrder {
  /** The first index still held. */
  readonly start: number;
  /** One past the last index known so far. */
  readonly end: number;
  /** The id at absolute index `i` (start <= i < end), else undefined. */
  id(i: number): string | undefined;
  /** The chunk's expected plaintext size (0 when not known). */
  size(i: number): number;
}

export function orderOf(ids: readonly string[], sizes?: readonly number[]): ChunkOrder {
  return { start: 0, end: ids.length, id: (i) => ids[i], size: (i) => sizes?.[i] ?? 0 };
}

export class ChunkWindow implements ChunkOrder {
  private ids: string[] = [];
  private sizes: number[] = [];
  start = 0;

  get end(): number {
    return this.start + this.ids.length;
  }

  id(i: number): string | undefined {
    return i >= this.start ? this.ids[i - this.start] : undefined;
  }

  size(i: number): number {
    return i >= this.start ? (this.sizes[i - this.start] ?? 0) : 0;
  }

  push(id: string, size: number): void {
    this.ids.push(id);
    this.sizes.push(size);
  }

  /** Forgets the ids before absolute index `before` (in steps, so the cost stays O(1) amortised). */
  trim(before: number): void {
    const n = before - this.start;
    if (n < 4096) return;
    this.ids.splice(0, n);
    this.sizes.splice(0, n);
    this.start = before;
  }
}
