// A restore point's manifest body, kept on disk instead of in memory: a million files' body is
// ~150 MB of JSON, and as objects several times that. The body's chunks are downloaded one after
// the other into a file (0600, in DATASAFE_HOME/cache, which already holds paths and chunk ids:
// file-cache.ts), its digest checked as they come; then one pass checks every entry (JSON, fields,
// canonical order: what decodeEntries() checks) before anything is used. Restore then reads the
// entries from the file as often as it needs, one at a time. The file is removed on close(); one a
// killed restore left (its process gone) is removed by the next restore.
import { createHash, randomBytes } from "node:crypto";
import { open, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { EntryOrderCheck, FormatError, validateEntry, type ManifestEntry, type ManifestRoot } from "../format/index.ts";
import { readLines } from "../util/line-file.ts";

/** Entries read again from the start by each `for await`, with their count. */
export interface EntrySource extends AsyncIterable<ManifestEntry> {
  readonly count: number;
}

export class SpooledEntries implements EntrySource {
  private constructor(
    private readonly file: string,
    readonly count: number,
  ) {}

  /**
   * Downloads the body of `root` into `dir`, checks its digest and every entry; throws a
   * FormatError (BAD_BODY, BAD_MANIFEST) as decodeEntries() would.
   */
  static async fetch(root: ManifestRoot, fetchChunk: (hex: string) => Promise<Buffer>, dir: string): Promise<SpooledEntries> {
    await removeLeftovers(dir);
    const file = path.join(dir, `restore-${process.pid}-${randomBytes(6).toString("hex")}.jsonl`);
    const out = await open(file, "wx", 0o600);
    try {
      const digest = createHash("sha256");
      const utf8 = new TextDecoder("utf-8", { fatal: true });
      let last = -1;
      let notUtf8: unknown = null;
      let next = root.body.chunks.length ? fetchChunk(root.body.chunks[0]!) : null;
      for (let i = 0; next; i++) {
        const part = await next;
        // The next one downloads while this one is written.
        next = i + 1 < root.body.chunks.length ? fetchChunk(root.body.chunks[i + 1]!) : null;
        next?.catch(() => undefined); // observed in its turn
        digest.update(part);
        try {
          if (!notUtf8) utf8.decode(part, { stream: true });
        } catch (err) {
          notUtf8 = err; // reported once the digest says these are the signed bytes
        }
        if (part.length) last = part[part.length - 1]!;
        await out.write(part);
      }
      await out.close();
      if (digest.digest("hex") !== root.body.sha256) throw new FormatError("BAD_BODY", "manifest body digest mismatch");
      try {
        if (!notUtf8) utf8.decode();
      } catch (err) {
        notUtf8 = err;
      }
      if (notUtf8) throw new FormatError("BAD_MANIFEST", "body is not valid UTF-8", { cause: notUtf8 });
      if (last !== -1 && last !== 0x0a) throw new FormatError("BAD_MANIFEST", "body must end with a newline");
      const order = new EntryOrderCheck();
      let count = 0;
      for await (const { line } of readLines(file)) {
        const e = decodeLine(line, count);
        order.accept(e);
        count++;
      }
      return new SpooledEntries(file, count);
    } catch (err) {
      await out.close().catch(() => undefined);
      await rm(file, { force: true });
      throw err;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ManifestEntry> {
    let i = 0;
    for await (const { line } of readLines(this.file)) yield decodeLine(line, i++);
  }

  async close(): Promise<void> {
    await rm(this.file, { force: true });
  }
}

function decodeLine(line: string, index: number): ManifestEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    throw new FormatError("BAD_MANIFEST", `line ${index + 1} is not JSON`, { cause: err });
  }
  return validateEntry(raw);
}

/** Manifest copies whose restore is no longer running (killed): they hold paths, not needed now. */
async function removeLeftovers(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = Number(/^restore-(\d+)-[0-9a-f]{12}\.jsonl$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || running(pid)) continue;
    await rm(path.join(dir, name), { force: true });
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // someone else's process: leave its file
  }
}
