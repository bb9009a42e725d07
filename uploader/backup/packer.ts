// Gathers sealed chunks into packs (server/services/packs.ts: one stored object per pack), so a
// backup makes one PUT per ~8 MiB instead of one per ~1 MiB chunk. Chunks go in as they are
// sealed, in any order; a pack is handed to `send` once the next chunk would not fit it, and the
// last one by close().
//
// Memory: envelopes are held from add() until their pack's bytes are sent (FilledPack.release),
// at most `maxHeldBytes` (add() waits beyond it), which bounds the packs in flight as well.
import type { PackTable } from "../../protocol/schemas.ts";
import { MAX_CHUNKS_PER_PACK } from "../../protocol/limits.ts";
import { Semaphore } from "../util/semaphore.ts";

/** Settled once the server answered for the chunk. */
export interface ChunkWaiter {
  resolve(): void;
  reject(err: unknown): void;
}

export interface FilledPack {
  table: PackTable;
  envelopes: Buffer[];
  /** One per table entry. */
  chunks: ChunkWaiter[];
  bytes: number;
  /** Frees the envelopes' share of the memory bound: call once they are sent (or failed). */
  release(): void;
}

export class Packer {
  private current: FilledPack | null = null;
  private readonly held: Semaphore;

  /** `packBytes`: target size of a pack; `maxHeldBytes`: at least twice that. */
  constructor(
    private readonly packBytes: number,
    maxHeldBytes: number,
    private readonly send: (pack: FilledPack) => void,
  ) {
    this.held = new Semaphore(Math.max(maxHeldBytes, 2 * packBytes));
  }

  /** Adds one sealed chunk; resolves once it is in a pack (not yet sent). */
  async add(entry: PackTable[number], envelope: Buffer, waiter: ChunkWaiter): Promise<void> {
    await this.held.acquire(envelope.length);
    if (this.current && this.current.bytes + envelope.length > this.packBytes) this.close();
    const pack = (this.current ??= this.empty());
    pack.table.push(entry);
    pack.envelopes.push(envelope);
    pack.chunks.push(waiter);
    pack.bytes += envelope.length;
    if (pack.bytes >= this.packBytes || pack.table.length >= MAX_CHUNKS_PER_PACK) this.close();
  }

  /** Sends the pack being filled, if any: true if there was one. */
  close(): boolean {
    const pack = this.current;
    if (!pack) return false;
    this.current = null;
    this.send(pack);
    return true;
  }

  private empty(): FilledPack {
    const pack: FilledPack = {
      table: [],
      envelopes: [],
      chunks: [],
      bytes: 0,
      release: () => {
        this.held.release(pack.bytes);
        pack.envelopes = [];
      },
    };
    return pack;
  }
}
