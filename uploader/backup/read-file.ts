// Reads one file through the chunker into the sink. A read error (locked, vanished, permission)
// is thrown after the chunker is reset, so the caller can skip the file and go on.
import type { Stats } from "node:fs";
import { createReadStream } from "node:fs";
import type { Chunker } from "../format/index.ts";
import type { AddedChunk, ChunkSink } from "./chunk-sink.ts";

const READ_BUFFER = 1024 * 1024;

export interface ReadFile {
  size: number;
  chunks: AddedChunk[];
}

export async function readFileChunks(abs: string, chunker: Chunker, sink: ChunkSink, onBytes: (n: number) => void): Promise<ReadFile> {
  const chunks: AddedChunk[] = [];
  let size = 0;
  try {
    for await (const piece of createReadStream(abs, { highWaterMark: READ_BUFFER })) {
      const buf = piece as Buffer;
      size += buf.length;
      for (const c of chunker.push(buf)) chunks.push(await sink.add(c));
      onBytes(buf.length);
    }
  } catch (err) {
    chunker.finish(); // drop the partial chunk of this file
    throw err;
  }
  const last = chunker.finish();
  if (last) chunks.push(await sink.add(last));
  return { size, chunks };
}

/** The stat a cache entry is keyed by; sizes read may differ if the file changed meanwhile. */
export type { Stats };
