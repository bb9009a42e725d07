// How much a backup holds and sends at once (backup/chunk-sink.ts): its memory and its line.
import { MAX_PACK_BYTES } from "../../protocol/limits.ts";

export interface SinkOptions {
  /** Chunks being sealed at once, and packs in flight beyond the one being filled. */
  concurrency: number;
  /** A pack is sent once it holds this many bytes (at most MAX_PACK_BYTES). */
  packBytes: number;
  /** Ids per dedup query (a batch is also sent early when memory runs short). */
  batchSize: number;
  /** Plaintext bytes held at once (reading waits beyond it). */
  maxBufferedBytes: number;
  /** Called before each upload with its size; resolves when it may be sent (bandwidth limits). */
  throttle?: (bytes: number) => Promise<void>;
}

/**
 * 16 MiB of plaintext keeps 4 seals and the next dedup batch busy, and 5 packs of 8 MiB (4 in
 * flight, 1 filling) the line; RSS stays far below 300 MB. A dedup query asks about up to 256
 * ids (small files' chunks: few queries), or fewer when the memory bound is reached first (large
 * files' chunks: ~16 per query).
 */
export const DEFAULT_SINK_OPTIONS: SinkOptions = {
  concurrency: 4,
  packBytes: MAX_PACK_BYTES,
  batchSize: 256,
  maxBufferedBytes: 16 * 1024 * 1024,
};
