// Line files read and written one line at a time: what the uploader keeps on disk instead of in
// memory (the file cache's records, a restore's manifest body). Reading holds one 256 KiB block
// and the lines cut from it; writing waits for the disk when the stream's buffer is full.
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";

const BLOCK = 256 * 1024;
const NL = 0x0a;

/**
 * The lines of `file` (without their newline) between byte offsets `start` and `end`, with the
 * offset just after each. A missing file has no lines. A last line without a newline is
 * yielded too (a torn write: callers that care check it).
 */
export async function* readLines(
  file: string,
  range: { start?: number; end?: number } = {},
): AsyncGenerator<{ line: string; next: number }> {
  let stream;
  try {
    stream = createReadStream(file, {
      start: range.start ?? 0,
      end: range.end === undefined ? undefined : range.end - 1,
      highWaterMark: BLOCK,
    });
    await new Promise<void>((resolve, reject) => stream!.once("open", () => resolve()).once("error", reject));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  let at = range.start ?? 0;
  let rest: Buffer | null = null;
  for await (const block of stream as AsyncIterable<Buffer>) {
    const data: Buffer = rest ? Buffer.concat([rest, block]) : block;
    let from = 0;
    for (let nl = data.indexOf(NL, from); nl !== -1; nl = data.indexOf(NL, from)) {
      at += nl + 1 - from;
      yield { line: data.toString("utf8", from, nl), next: at };
      from = nl + 1;
    }
    rest = from < data.length ? Buffer.from(data.subarray(from)) : null;
  }
  if (rest) yield { line: rest.toString("utf8"), next: at + rest.length };
}

/** Appends lines to a file (created 0600), waiting for the disk whenever its buffer is full. */
export class LineWriter {
  private readonly out: WriteStream;
  private failure: Error | null = null;
  /** Bytes written so far (the offset of the next line). */
  bytes = 0;

  constructor(file: string, flags: "a" | "w") {
    this.out = createWriteStream(file, { flags, mode: 0o600 });
    this.out.on("error", (err) => (this.failure ??= err));
  }

  async write(line: string): Promise<void> {
    if (this.failure) throw this.failure;
    const text = `${line}\n`;
    this.bytes += Buffer.byteLength(text);
    if (!this.out.write(text)) await new Promise<void>((resolve) => this.out.once("drain", resolve));
  }

  /** Writes without waiting (the caller bounds how many lines wait). */
  push(line: string): void {
    if (this.failure) return;
    const text = `${line}\n`;
    this.bytes += Buffer.byteLength(text);
    this.out.write(text);
  }

  /** Resolves once every line written so far has reached the file (a kill -9 then loses none). */
  flushed(): Promise<void> {
    if (this.failure) return Promise.resolve();
    return new Promise<void>((resolve) => this.out.write("", () => resolve()));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.out.end(resolve));
    if (this.failure) throw this.failure;
  }
}
