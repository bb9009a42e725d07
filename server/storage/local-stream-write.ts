// LocalBlobStore.putStream's writer: a body arriving in pieces goes to the file in batches, so
// that writing and receiving overlap and memory holds at most two batches.
import { IntegrityError } from "./errors.ts";
import { writeAll } from "./local-files.ts";

/** How many bytes putStream gathers before it writes them. */
const STREAM_BATCH_BYTES = 1024 * 1024;

/** What putStream's source threw: passed on as it is, not as a storage error. */
export class SourceFailed {
  constructor(readonly error: unknown) {}
}

/**
 * Writes `source` to `fd` from position 0 and returns the bytes written (the caller checks them
 * against `size`); more than `size` bytes is an IntegrityError for `key`, and what the source
 * throws comes out as SourceFailed.
 */
export async function writeStream(fd: number, source: AsyncIterable<Buffer>, size: number, key: string): Promise<number> {
  // Pieces (socket reads, ~64 KiB) are gathered into batches written with one writev each;
  // one batch is written while the next gathers, so the disk and the network overlap and at
  // most two batches are held.
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let position = 0;
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    await writing;
    const out = batch;
    const at = position;
    position += batchBytes;
    batch = [];
    batchBytes = 0;
    writing = writeAll(fd, out, at);
    writing.catch(() => undefined); // awaited below or by the next flush; not unhandled meanwhile
  };
  const pieces = source[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await pieces.next();
      } catch (e) {
        done = true; // a source that threw has finished
        throw new SourceFailed(e);
      }
      if (next.done) break;
      const piece = next.value;
      if (position + batchBytes + piece.length > size) throw new IntegrityError(key, `more than the ${size} bytes announced`);
      batch.push(piece);
      batchBytes += piece.length;
      if (batchBytes >= STREAM_BATCH_BYTES) await flush();
    }
    done = true;
  } finally {
    if (!done) await pieces.return?.().catch(() => undefined);
    await writing.catch(() => undefined); // the error that ends the loop is the one reported
  }
  await flush();
  await writing;
  return position;
}
