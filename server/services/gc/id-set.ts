// A set of chunk ids kept as their first 8 bytes in an open-addressing BigUint64Array (linear
// probing, load factor at most 1/2): 16 bytes per id at worst, no JS object per id, so the live
// set of a studio with a million distinct references costs ~16-32 MiB whatever the number of
// restore points naming them. Two ids with the same first 8 bytes are one entry: the set then says
// "live" for a dead chunk, which only keeps that chunk (the safe direction; chunk ids are keyed
// MACs, so among n ids the chance of any such pair is about n^2 / 2^65).

/** Slot value meaning "empty"; a prefix equal to it is stored as 1 (again: only keeps more). */
const EMPTY = 0n;

export class IdSet {
  #slots: BigUint64Array;
  #mask: number;
  #size = 0;

  constructor(expected = 1 << 16) {
    let capacity = 1 << 10;
    while (capacity < expected * 2) capacity *= 2;
    this.#slots = new BigUint64Array(capacity);
    this.#mask = capacity - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.#slots.byteLength;
  }

  /** Adds every 32-byte id of a packed run of ids (`ids.length` a multiple of 32). */
  addPacked(ids: Uint8Array): void {
    const view = new DataView(ids.buffer, ids.byteOffset, ids.byteLength);
    for (let at = 0; at + 32 <= ids.byteLength; at += 32) this.#add(view.getBigUint64(at));
  }

  /** Whether the id (32 bytes, or hex of them) may be in the set: false means surely not. */
  has(id: Uint8Array | string): boolean {
    const key = prefixOf(id);
    for (let i = slotOf(key) & this.#mask; ; i = (i + 1) & this.#mask) {
      const v = this.#slots[i]!;
      if (v === key) return true;
      if (v === EMPTY) return false;
    }
  }

  #add(raw: bigint): void {
    const key = raw === EMPTY ? 1n : raw;
    if ((this.#size + 1) * 2 > this.#slots.length) this.#grow();
    for (let i = slotOf(key) & this.#mask; ; i = (i + 1) & this.#mask) {
      const v = this.#slots[i]!;
      if (v === key) return;
      if (v === EMPTY) {
        this.#slots[i] = key;
        this.#size++;
        return;
      }
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new BigUint64Array(old.length * 2);
    this.#mask = this.#slots.length - 1;
    this.#size = 0;
    for (const v of old) if (v !== EMPTY) this.#add(v);
  }
}

function prefixOf(id: Uint8Array | string): bigint {
  const key = typeof id === "string" ? BigInt(`0x${id.slice(0, 16)}`) : new DataView(id.buffer, id.byteOffset, 8).getBigUint64(0);
  return key === EMPTY ? 1n : key;
}

/** Chunk ids are uniformly random, so their low 32 bits index the table as well as any hash. */
function slotOf(key: bigint): number {
  return Number(key & 0xffffffffn);
}
