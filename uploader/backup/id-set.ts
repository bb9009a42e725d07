// The set of chunk ids a backup references, packed: 32 bytes a slot in one Buffer (open
// addressing, linear probing, at most 70 % full), not a Map of 64-character strings and promises
// (~200 bytes an id). A million ids take ~46 MB at worst, ~23 MB just after a growth.
// Ids are keyed MACs (uniform), so their first bytes are the hash.
import { CHUNK_ID_SIZE } from "../format/constants.ts";

const W = CHUNK_ID_SIZE;
const MAX_LOAD = 0.7;

export class IdSet {
  private table: Buffer;
  private used: Uint8Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 14) {
    const slots = 1 << Math.ceil(Math.log2(Math.max(16, capacity / MAX_LOAD)));
    this.table = Buffer.alloc(slots * W);
    this.used = new Uint8Array(slots);
    this.mask = slots - 1;
  }

  /** Adds an id (32 bytes); false if it was there already. */
  add(id: Buffer): boolean {
    if (id.length !== W) throw new Error(`IdSet: an id is ${W} bytes`);
    const at = this.slot(id);
    if (this.used[at]) return false;
    if (this.size + 1 > (this.mask + 1) * MAX_LOAD) {
      this.grow();
      return this.add(id);
    }
    id.copy(this.table, at * W);
    this.used[at] = 1;
    this.size++;
    return true;
  }

  has(id: Buffer): boolean {
    return this.used[this.slot(id)] === 1;
  }

  /** The slot holding `id`, or the free one where it would go. */
  private slot(id: Buffer): number {
    for (let i = id.readUInt32LE(0) & this.mask; ; i = (i + 1) & this.mask) {
      if (!this.used[i] || this.table.compare(id, 0, W, i * W, i * W + W) === 0) return i;
    }
  }

  private grow(): void {
    const { table, used } = this;
    const slots = (this.mask + 1) * 2;
    this.table = Buffer.alloc(slots * W);
    this.used = new Uint8Array(slots);
    this.mask = slots - 1;
    for (let i = 0; i < used.length; i++) {
      if (!used[i]) continue;
      const id = table.subarray(i * W, i * W + W);
      const at = this.slot(id);
      id.copy(this.table, at * W);
      this.used[at] = 1;
    }
  }

  /** Every id, sorted by bytes, end to end in one Buffer (size * 32 bytes). */
  sorted(): Buffer {
    const out = Buffer.alloc(this.size * W);
    let n = 0;
    for (let i = 0; i < this.used.length; i++) if (this.used[i]) this.table.copy(out, n++ * W, i * W, i * W + W);
    // Sorted by the first 6 bytes as a number (exact in a double), ties by the whole id.
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = out.readUIntBE(i * W, 6);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => keys[a]! - keys[b]! || out.compare(out, b * W, b * W + W, a * W, a * W + W));
    const sorted = Buffer.alloc(n * W);
    for (let i = 0; i < n; i++) out.copy(sorted, i * W, order[i]! * W, order[i]! * W + W);
    return sorted;
  }
}
