// End to end: a studio share with awkward but legal files (a name that is not UTF-8, a FIFO, a
// Unix socket, a hard-linked pair) backs up with exit 0, the special files counted, the byte name
// stored exactly (read back from the server through the real manifest reader), the hard-linked
// pair uploaded once and restored as two files.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { link, lstat, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ApiClient } from "../../uploader/api/client.ts";
import { entryPathBytes, entryTargetBytes, type ManifestEntry } from "../../uploader/format/index.ts";
import { openRestorePoint } from "../../uploader/restore/open-restore-point.ts";
import { loadDeviceState } from "../../uploader/state.ts";
import { enrolledPc, type Pc, PASSPHRASE, run } from "../support/cli.ts";
import { makeSpecialFiles } from "../support/tree.ts";
import { startServer, type TestServer } from "../support/server.ts";

const latin1 = (s: string) => Buffer.from(s, "latin1");

describe("a share of awkward files", () => {
  let server: TestServer;
  let pc: Pc;
  let share: string;
  let closeSpecial: (() => Promise<void>) | undefined;
  const photo = randomBytes(1_500_000);

  before(async () => {
    server = await startServer({ s3: false });
    pc = await enrolledPc(server, "old-nas");
    share = path.join(server.dir, "Share");
    await mkdir(path.join(share, "links"), { recursive: true });
    const bytes = (rel: string) => Buffer.concat([Buffer.from(share), latin1(`/${rel}`)]);
    await writeFile(bytes("\xff\xfe.txt"), "a Latin-1 name from an old file server\n");
    await symlink(latin1("\xff\xfe.txt"), path.join(share, "x"));
    await writeFile(path.join(share, "links", "a.jpg"), photo);
    await link(path.join(share, "links", "a.jpg"), path.join(share, "links", "b.jpg"));
    closeSpecial = await makeSpecialFiles(share);
  });
  after(async () => {
    await closeSpecial?.();
    await server?.stop();
  });

  it("backs up with exit 0, counting the FIFO and the socket, the hard-linked pair uploaded once", async () => {
    const b = await pc.run(["backup", share]);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(b.json.skipped, []);
    assert.equal(b.json.special, 2);
    assert.equal(b.json.files, 3); // the byte-named file and both names of the pair
    assert.ok(Number(b.json.bytesUploaded) < photo.length * 1.2, `uploaded ${b.json.bytesUploaded} for a ${photo.length}-byte pair`);
    // An unchanged re-run reads nothing again, the byte-named file included (its cache key is
    // unique); the line for people counts the special files too.
    const again = await run("datasafe.js", ["backup", share], pc.env());
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /: 3 files \(3 unchanged\), 2 special files \(FIFOs, sockets, devices\) not backed up, 0.0 MB read, /);
  });

  it("stores the name's exact bytes, read back through the manifest reader", async () => {
    const state = await loadDeviceState(pc.home);
    const rp = await openRestorePoint(new ApiClient(state.server, state.accessToken), state, PASSPHRASE, "latest");
    try {
      const entries: ManifestEntry[] = [];
      for await (const e of rp.entries) entries.push(e);
      const stored = entries.map((e) => entryPathBytes(e).toString("latin1"));
      assert.deepEqual(stored, ["Share", "Share/links", "Share/links/a.jpg", "Share/links/b.jpg", "Share/x", "Share/\xff\xfe.txt"]);
      const x = entries.find((e) => e.path === "Share/x")!;
      assert.deepEqual(entryTargetBytes(x), latin1("\xff\xfe.txt"));
      assert.equal(rp.root.stats.files, 3);
    } finally {
      await rp.close();
    }
  });

  it("restores the hard-linked pair as two files with equal content", async () => {
    const to = path.join(server.dir, "restored");
    const r = await pc.run(["restore", "latest", "--to", to, "--path", "Share/links"]);
    assert.equal(r.code, 0, r.stderr);
    const [a, b] = [path.join(to, "Share", "links", "a.jpg"), path.join(to, "Share", "links", "b.jpg")];
    assert.deepEqual(await readFile(a), photo);
    assert.deepEqual(await readFile(b), photo);
    const [sa, sb] = [await lstat(a), await lstat(b)];
    assert.notEqual(sa.ino, sb.ino);
    assert.equal(sa.nlink, 1);
  });
});
