import { asBuffer } from "./bytes.ts";
import { CODEC_NONE, CODEC_ZSTD, MAX_CHUNK_SIZE } from "./constants.ts";
import { nodePrimitives } from "./node-primitives.ts";
import { decompressWith } from "./reader-chunks.ts";
import { zstdEngine } from "./zstd-engine.ts";

// zstd (zstd-engine.ts) runs synchronously in the calling thread: in a backup that is a crypto worker thread
// (seal.ts), so it never blocks the event loop that drives uploads. Brotli (codec 1, written
// before zstd) is only decoded (node-primitives.ts).

/** Probe size: most photos (JPEG, RAW) are already compressed; one cheap probe avoids paying
 * for a full pass over 1 MiB that would be thrown away. */
const SAMPLE_SIZE = 64 * 1024;
/** Keep compression only if it saves at least this fraction (else CPU and a decompressor step
 * on restore are spent for nothing). */
const MIN_SAVING = 0.1;

/**
 * zstd level 3 for stored data, level 1 for the probe. Measured on the bench's database pages,
 * 1 MiB chunks, one core (compress MiB/s, decompress MiB/s, ratio): zstd-1 407/1088/4.01,
 * zstd-3 343/1260/4.86, zstd-5 152/1319/5.08, zstd-7 103/1430/5.75; brotli q1 253/393/3.81,
 * brotli q4 (stored before zstd) 125/637/5.35. zstd-3 stores 9 % more than brotli q4 at 2.7x its
 * compression and 2x its decompression speed: on a 2-core studio PC the CPU is the bottleneck
 * of a first backup and of a restore, not the line (`npm run bench`, stages table).
 */
const LEVEL = 3;
const PROBE_LEVEL = 1;

/** zstd-compressed src, null when not shorter than `limit` (may be a scratch view: copy to keep). */
function zstdInto(src: Buffer, level: number, limit: number): Buffer | null {
  return zstdEngine().compress(src, level, limit);
}

export interface Compressed {
  codec: number;
  data: Buffer;
}

export async function compress(plain: Buffer): Promise<Compressed> {
  if (plain.length === 0) return { codec: CODEC_NONE, data: plain };
  if (plain.length > SAMPLE_SIZE) {
    const probe = zstdInto(plain.subarray(0, SAMPLE_SIZE), PROBE_LEVEL, Math.floor(SAMPLE_SIZE * (1 - MIN_SAVING)));
    if (probe === null) return { codec: CODEC_NONE, data: plain };
  }
  // Never store a larger payload: this is what bounds envelopes by MAX_CIPHERTEXT_SIZE.
  const packed = zstdInto(plain, LEVEL, plain.length - 1);
  if (packed === null) return { codec: CODEC_NONE, data: plain };
  return { codec: CODEC_ZSTD, data: Buffer.from(packed) };
}

/**
 * Decompresses a payload; output above maxSize is refused while decompressing (a tiny
 * malicious payload could otherwise expand to gigabytes). The read path's code (reader-chunks.ts)
 * on the CLI's engines.
 */
export async function decompress(codec: number, data: Buffer, maxSize: number = MAX_CHUNK_SIZE): Promise<Buffer> {
  return asBuffer(await decompressWith(nodePrimitives, codec, data, maxSize));
}
