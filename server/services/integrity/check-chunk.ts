// One chunk against its record: "read" re-reads the bytes and compares size and SHA-256 of the
// ciphertext (the only proof the server can make without keys); "stat" compares the size only
// (cheap, for chunks re-read recently). An absent or different object is an answer (damage);
// a storage failure is not: transient ones propagate so the job retries with backoff, and
// permanent ones (bad credentials, unknown) propagate so the job fails without retry.
import { createHash } from "node:crypto";
import type { Ctx } from "../../context.ts";
import { BlobNotFoundError } from "../../storage/index.ts";

export type CheckMode = "read" | "stat";
export type ChunkProblem = "missing" | "size" | "checksum";

export interface ChunkRecord {
  id: Uint8Array;
  size: number;
  sha256: Uint8Array;
  objectKey: string;
  /** Where the chunk starts in its pack object; null when the object is the chunk alone. */
  offset: number | null;
}

export interface CheckResult {
  mode: CheckMode;
  /** Bytes read (0 for a stat). */
  bytes: number;
  problem: ChunkProblem | null;
}

export async function checkChunk(ctx: Ctx, row: ChunkRecord, mode: CheckMode): Promise<CheckResult> {
  if (mode === "stat") {
    const st = await ctx.blobs.stat(row.objectKey);
    if (!st) return { mode, bytes: 0, problem: "missing" };
    const fits = row.offset === null ? st.size === row.size : st.size >= row.offset + row.size;
    return { mode, bytes: 0, problem: fits ? null : "size" };
  }
  let data: Buffer;
  try {
    data = row.offset === null ? await ctx.blobs.read(row.objectKey) : await ctx.blobs.readRange(row.objectKey, row.offset, row.size);
  } catch (err) {
    if (err instanceof BlobNotFoundError) return { mode, bytes: 0, problem: "missing" };
    throw err;
  }
  if (data.length !== row.size) return { mode, bytes: data.length, problem: "size" };
  const sha = createHash("sha256").update(data).digest();
  return { mode, bytes: data.length, problem: sha.equals(Buffer.from(row.sha256)) ? null : "checksum" };
}
