// The scanner on a tree of awkward but legal files: a name that is not UTF-8, a FIFO, a socket,
// a hard-linked pair, names whose byte order differs from JavaScript's string order.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { entryPathBytes, EntryOrderCheck } from "../../../uploader/format/index.ts";
import { scan } from "../../../uploader/scanner.ts";

const latin1 = (s: string) => Buffer.from(s, "latin1");

describe("scanner", () => {
  let dir: string;
  let server: net.Server;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "scan-"));
    const root = path.join(dir, "Share");
    await mkdir(root);
    const rootBytes = Buffer.from(root);
    const at = (rel: string) => Buffer.concat([rootBytes, latin1(`/${rel}`)]);
    await writeFile(at("\xff\xfe"), "latin-1 name");
    await mkdir(at("caf\xe9"));
    await writeFile(at("caf\xe9/menu.txt"), "in a latin-1 folder");
    await symlink(latin1("caf\xe9"), at("link"));
    await writeFile(path.join(root, "\uff01.txt"), "fullwidth");
    await writeFile(path.join(root, "\u{1f600}.txt"), "emoji");
    await writeFile(path.join(root, "a"), "original");
    await link(path.join(root, "a"), path.join(root, "a-hardlink"));
    execFileSync("mkfifo", [path.join(root, "fifo")]);
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(root, "socket"), resolve));
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps names as bytes, in canonical order, and counts special files", async () => {
    const r = await scan([path.join(dir, "Share")]);
    assert.deepEqual(r.skipped, []);
    assert.equal(r.special, 2);
    assert.deepEqual(
      r.entries.map((e) => [e.pathBytes ?? Buffer.from(e.path), e.type]),
      [
        [latin1("Share"), "dir"],
        [latin1("Share/a"), "file"],
        [latin1("Share/a-hardlink"), "file"],
        [latin1("Share/caf\xe9"), "dir"],
        [latin1("Share/caf\xe9/menu.txt"), "file"],
        [latin1("Share/link"), "symlink"],
        [Buffer.from("Share/\uff01.txt"), "file"], // EF BC 81 before F0 9F 98 80, unlike "\uff01" < "\u{1f600}"
        [Buffer.from("Share/\u{1f600}.txt"), "file"],
        [latin1("Share/\xff\xfe"), "file"],
      ],
    );
    const order = new EntryOrderCheck();
    for (const e of r.entries)
      order.accept({ path: e.path, ...(e.pathBytes ? { pathBytes: e.pathBytes } : {}), type: e.type, mode: 0, mtimeMs: 0 });
    const ff = r.entries.at(-1)!;
    assert.ok(Buffer.isBuffer(ff.abs));
    assert.equal(await readFile(ff.abs, "utf8"), "latin-1 name"); // opened by its bytes
    assert.equal(ff.path, "Share/\ufffd\ufffd");
    assert.deepEqual(
      entryPathBytes({ path: ff.path, pathBytes: ff.pathBytes!, type: "file", mode: 0, mtimeMs: 0 }),
      latin1("Share/\xff\xfe"),
    );
    // Cache keys stay unique and under their root (the cache keeps only keys under a root it scanned).
    const keys = r.entries.map((e) => e.key);
    assert.equal(new Set(keys).size, keys.length);
    for (const k of keys) assert.ok(k.startsWith(path.join(dir, "Share")), k);
    assert.equal(typeof r.entries[1]!.abs, "string"); // a UTF-8 path stays a string, as before
  });
});
