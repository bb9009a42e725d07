// Small files are read whole, by a CryptoPool worker, in batches (CryptoPool.readFiles), instead of
// being streamed one by one from the main thread: on a photo library of 20,000 files of 1-200 KiB a
// streamed file cost a 1 MiB read buffer, an open/read/close round trip each through the thread
// pool and two worker messages, ~1.5 ms per file (first backup 3.3x restic's time). Read here, a
// batch of files costs one message each way.
//
// Contract: the chunks are exactly those a Chunker gives for the same bytes pushed as one stream
// (chunkStream()); the size is what was read (the size when opened); a file that cannot be read
// gives its errno code and message, never throws.
import { readFileSync } from "node:fs";
import { Chunker, chunkId, type ChunkerParams } from "../format/index.ts";

/** Files up to this size take the small-file path (larger ones are streamed: read-file.ts). */
export const SMALL_FILE_MAX = 1024 * 1024;

export type SmallFileRead<B = Buffer> =
  { size: number; chunks: Array<{ id: B; plain: B }> } | { error: { code?: string; message: string } };

/** `chunker`: a Chunker for these params, reset (finish() resets it), reused across files. */
export function readSmallFile(abs: string | Buffer, idKey: Buffer, params: ChunkerParams, chunker: () => Chunker): SmallFileRead {
  let data: Buffer;
  try {
    data = readFileSync(abs);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { error: { ...(e.code ? { code: e.code } : {}), message: String(e.message ?? err) } };
  }
  let plains: Buffer[];
  if (data.length < (params.head ?? params).min) {
    plains = data.length ? [data] : []; // a chunker never cuts before the minimum: one chunk
  } else {
    const c = chunker();
    plains = c.push(data);
    const last = c.finish();
    if (last) plains.push(last);
  }
  return { size: data.length, chunks: plains.map((plain) => ({ id: chunkId(idKey, plain), plain })) };
}
