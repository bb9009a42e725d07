import { promisify } from "node:util";
import { brotliCompress, brotliDecompress, constants as zc } from "node:zlib";
import { CODEC_BROTLI, CODEC_NONE, CODEC_ZSTD, MAX_CHUNK_SIZE } from "./constants.ts";
import { FormatError } from "./errors.ts";

// The async zlib calls run on libuv's thread pool, so compressing chunks does not block the
// event loop that drives uploads.
const brotliCompressAsync = promisify(brotliCompress);
const brotliDecompressAsync = promisify(brotliDecompress);

/** Probe size: most photos (JPEG, RAW) are already compressed; one cheap probe avoids paying
 * for a full brotli pass over 1 MiB that would be thrown away. */
const SAMPLE_SIZE = 64 * 1024;
/** Keep compression only if it saves at least this fraction (else CPU and a browser-side
 * decompressor step are spent for nothing). */
const MIN_SAVING = 0.1;

/**
 * Quality 4 for stored data; quality 1 for the probe. Measured on the bench's database pages,
 * 1 MiB chunks, one core: q1 310 MiB/s ratio 3.81, q2 206/4.10, q3 173/4.26, q4 152/5.32,
 * q5 71/5.90 (gzip-1 175/3.38). q4 stores 28 % fewer bytes than q1 at half its speed, which
 * the worker threads absorb; every byte saved is also upload time and storage cost.
 */
const QUALITY = 4;
const PROBE_QUALITY = 1;

/**
 * zlib's output buffer size: the default 16 KiB means one round trip from the thread pool to
 * JavaScript, and one piece to concatenate, per 16 KiB of output (~60 per decompressed chunk);
 * 256 KiB cut restore's decompression overhead on the main thread (measured in a CPU profile).
 */
const ZLIB_CHUNK_SIZE = 256 * 1024;

function brotliOptions(sizeHint: number, quality: number) {
  return {
    chunkSize: ZLIB_CHUNK_SIZE,
    params: {
      [zc.BROTLI_PARAM_QUALITY]: quality,
      // A 1 MiB window: same ratio and speed on our chunks (measured), a fraction of the
      // encoder memory of the default 4 MiB window, with several chunks compressing at once.
      [zc.BROTLI_PARAM_LGWIN]: 20,
      [zc.BROTLI_PARAM_MODE]: zc.BROTLI_MODE_GENERIC,
      [zc.BROTLI_PARAM_SIZE_HINT]: sizeHint,
    },
  };
}

export interface Compressed {
  codec: number;
  data: Buffer;
}

export async function compress(plain: Buffer): Promise<Compressed> {
  if (plain.length === 0) return { codec: CODEC_NONE, data: plain };
  if (plain.length > SAMPLE_SIZE) {
    const sample = plain.subarray(0, SAMPLE_SIZE);
    const probe = await brotliCompressAsync(sample, brotliOptions(SAMPLE_SIZE, PROBE_QUALITY));
    if (probe.length > SAMPLE_SIZE * (1 - MIN_SAVING)) return { codec: CODEC_NONE, data: plain };
  }
  const packed = await brotliCompressAsync(plain, brotliOptions(plain.length, QUALITY));
  // Never store a larger payload: this is what bounds envelopes by MAX_CIPHERTEXT_SIZE.
  if (packed.length >= plain.length) return { codec: CODEC_NONE, data: plain };
  return { codec: CODEC_BROTLI, data: packed };
}

/**
 * Decompresses a payload; output above maxSize is refused while decompressing (a tiny
 * malicious payload could otherwise expand to gigabytes).
 */
export async function decompress(codec: number, data: Buffer, maxSize: number = MAX_CHUNK_SIZE): Promise<Buffer> {
  let out: Buffer;
  switch (codec) {
    case CODEC_NONE:
      if (data.length > maxSize) throw new FormatError("TOO_LARGE", `payload ${data.length} > ${maxSize}`);
      return data;
    case CODEC_BROTLI:
      try {
        out = await brotliDecompressAsync(data, { maxOutputLength: Math.max(1, maxSize), chunkSize: ZLIB_CHUNK_SIZE });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === "ERR_BUFFER_TOO_LARGE") throw new FormatError("TOO_LARGE", `output > ${maxSize}`, { cause: err });
        throw new FormatError("CORRUPT", "brotli stream invalid", { cause: err });
      }
      // maxOutputLength is only a lower bound guard for maxSize 0; check exactly.
      if (out.length > maxSize) throw new FormatError("TOO_LARGE", `output > ${maxSize}`);
      return out;
    case CODEC_ZSTD:
      throw new FormatError("UNSUPPORTED_CODEC", "zstd (codec 2) is reserved, not implemented");
    default:
      throw new FormatError("UNSUPPORTED_CODEC", `unknown codec ${codec}`);
  }
}
