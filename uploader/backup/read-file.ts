// Reads one file into the sink, cut into chunks on a worker thread (CryptoPool.chunkStream), so the
// main thread only reads and uploads. A read error (locked, vanished, permission) is thrown after
// the file's unfinished chunk is dropped, so the caller can skip the file and go on; a failure of
// the pipeline itself (a worker, the upload side) is thrown as a PipelineError: fatal for the run.
import { createReadStream } from "node:fs";
import type { AddedChunk, ChunkSink } from "./chunk-sink.ts";
import type { CryptoPool, IdentifiedChunk } from "../crypto/crypto-pool.ts";

const READ_BUFFER = 1024 * 1024;
/** Pieces being chunked at once: the worker always has the next piece while we read another. */
const PIECES_AHEAD = 2;

/** Not about this file: the chunking workers or the upload side failed (`cause`). */
export class PipelineError extends Error {
  constructor(cause: unknown) {
    super(`backup pipeline failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = "PipelineError";
  }
}

function pipeline<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    throw new PipelineError(err);
  });
}

export interface ReadFile {
  size: number;
  chunks: AddedChunk[];
}

export async function readFileChunks(
  abs: string | Buffer,
  pool: CryptoPool,
  sink: ChunkSink,
  onBytes: (n: number) => void,
): Promise<ReadFile> {
  const chunks: AddedChunk[] = [];
  const stream = pool.chunkStream();
  const ahead: Array<Promise<IdentifiedChunk[]>> = [];
  const take = async (pending: Promise<IdentifiedChunk[]>) => {
    for (const c of await pending) chunks.push(await pipeline(sink.addIdentified(c.id, c.plain)));
  };
  let size = 0;
  try {
    for await (const piece of createReadStream(abs, { highWaterMark: READ_BUFFER })) {
      const buf = piece as Buffer;
      size += buf.length;
      onBytes(buf.length);
      const pending = pipeline(stream.push(buf)); // buf is transferred away
      pending.catch(() => undefined); // observed by take(); no unhandled rejection meanwhile
      ahead.push(pending);
      if (ahead.length >= PIECES_AHEAD) await take(ahead.shift()!);
    }
    while (ahead.length) await take(ahead.shift()!);
  } catch (err) {
    stream.abort(); // drop the partial chunk of this file
    throw err;
  }
  await take(pipeline(stream.finish()));
  return { size, chunks };
}
