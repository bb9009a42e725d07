// A chunk against its record: "read" re-reads the bytes and compares size and SHA-256 of the
// ciphertext (the only proof the server can make without keys); "stat" compares the size only
// (cheap, for chunks re-read recently). An absent or different object is an answer (damage);
// a storage failure is not: transient ones propagate so the job retries with backoff, and
// permanent ones (bad credentials, unknown) propagate so the job fails without retry.
//
// checkChunks() checks many: chunks to re-read that lie next to each other in one pack are read
// with one ranged read of up to MAX_SPAN_BYTES (one GET instead of one per chunk, as a restore
// reads them), and each is judged on its own slice.
import { createHash } from "node:crypto";
import { MAX_CHUNK_OBJECT_BYTES } from "../../../protocol/limits.ts";
import { BlobNotFoundError, type BlobStore } from "../../storage/index.ts";
import { forEachWithin } from "../../util/concurrency-limit.ts";

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

/** What checking needs of the store. */
export type CheckStore = Pick<BlobStore, "stat" | "read" | "readRange">;

/** Reads in flight (and MiB read at once, BYTES_PER_LANE) for one integrity job's checks. */
export const CHECK_PARALLEL = 8;
/** Chunk rows per database page, for the jobs that walk all of a studio's chunks (scrub, verify-studio). */
export const CHECK_PAGE = 200;

/** The largest ranged read that covers several packed chunks (the largest chunk object). */
export const MAX_SPAN_BYTES = MAX_CHUNK_OBJECT_BYTES;
/**
 * Bytes read at once per `parallel` read, as with one read per ~1 MiB chunk: longer reads mean
 * fewer of them in flight, so the job's memory stays what it was before reads spanned chunks.
 */
const BYTES_PER_LANE = 1024 * 1024;
/** Bytes between two wanted chunks of a pack (chunks not checked now) that one read still spans. */
const MAX_GAP_BYTES = 256 * 1024;

async function checkChunk(store: CheckStore, row: ChunkRecord, mode: CheckMode): Promise<CheckResult> {
  if (mode === "stat") {
    const st = await store.stat(row.objectKey);
    if (!st) return { mode, bytes: 0, problem: "missing" };
    const fits = row.offset === null ? st.size === row.size : st.size >= row.offset + row.size;
    return { mode, bytes: 0, problem: fits ? null : "size" };
  }
  let data: Buffer;
  try {
    data = row.offset === null ? await store.read(row.objectKey) : await store.readRange(row.objectKey, row.offset, row.size);
  } catch (err) {
    if (err instanceof BlobNotFoundError) return { mode, bytes: 0, problem: "missing" };
    throw err;
  }
  return judge(row, data);
}

/** The verdict on one chunk's bytes. */
function judge(row: ChunkRecord, data: Buffer): CheckResult {
  if (data.length !== row.size) return { mode: "read", bytes: data.length, problem: "size" };
  const sha = createHash("sha256").update(data).digest();
  return { mode: "read", bytes: data.length, problem: sha.equals(Buffer.from(row.sha256)) ? null : "checksum" };
}

/**
 * Checks `rows` (mode per row), at most `parallel` reads and `parallel` MiB at a time; results in
 * the order of `rows`. Same verdicts as checkChunk() on each row, and the same errors propagate.
 */
export async function checkChunks<R extends ChunkRecord>(
  store: CheckStore,
  rows: readonly R[],
  modeOf: (row: R) => CheckMode,
  parallel: number,
): Promise<Array<{ row: R; result: CheckResult }>> {
  const results = new Array<CheckResult>(rows.length);
  const units: number[][] = [];
  const packed = new Map<string, number[]>();
  rows.forEach((row, i) => {
    if (modeOf(row) === "read" && row.offset !== null) {
      const list = packed.get(row.objectKey);
      if (list) list.push(i);
      else packed.set(row.objectKey, [i]);
    } else units.push([i]);
  });
  for (const list of packed.values()) {
    list.sort((a, b) => rows[a]!.offset! - rows[b]!.offset!);
    let run: number[] = [];
    for (const i of list) {
      const r = rows[i]!;
      const first = run.length ? rows[run[0]!]! : null;
      const last = run.length ? rows[run.at(-1)!]! : null;
      const fits =
        first &&
        last &&
        r.offset! >= last.offset! + last.size &&
        r.offset! - (last.offset! + last.size) <= MAX_GAP_BYTES &&
        r.offset! + r.size - first.offset! <= MAX_SPAN_BYTES;
      if (run.length && !fits) {
        units.push(run);
        run = [];
      }
      run.push(i);
    }
    if (run.length) units.push(run);
  }
  const spanOf = (unit: number[]) => {
    const first = rows[unit[0]!]!;
    const last = rows[unit.at(-1)!]!;
    return modeOf(first) === "stat" ? 0 : (last.offset ?? 0) + last.size - (first.offset ?? 0);
  };
  await forEachWithin(units, { count: parallel, bytes: parallel * BYTES_PER_LANE }, spanOf, async (unit) => {
    if (unit.length === 1) {
      results[unit[0]!] = await checkChunk(store, rows[unit[0]!]!, modeOf(rows[unit[0]!]!));
      return;
    }
    const first = rows[unit[0]!]!;
    const last = rows[unit.at(-1)!]!;
    let span: Buffer;
    try {
      span = await store.readRange(first.objectKey, first.offset!, last.offset! + last.size - first.offset!);
    } catch (err) {
      if (!(err instanceof BlobNotFoundError)) throw err;
      for (const i of unit) results[i] = { mode: "read", bytes: 0, problem: "missing" };
      return;
    }
    for (const i of unit) {
      const from = rows[i]!.offset! - first.offset!;
      results[i] = judge(rows[i]!, span.subarray(from, from + rows[i]!.size));
    }
  });
  return rows.map((row, i) => ({ row, result: results[i]! }));
}
