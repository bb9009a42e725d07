// Issue 16's proof, end to end (real server, real CLI): a share holding every kind of awkward but
// legal file backs up with exit 0 and restores byte for byte, with names (as bytes), permission
// bits (setuid/setgid aside: dropped unless --keep-special-bits), times and symlink targets (as
// bytes) kept. In it: a 255-byte name, a name with the bytes 0xFF 0xFE, a symlink whose target is
// not UTF-8, files of several modes and times, a FIFO and a socket (ignored and counted), a
// hard-linked pair (restored as two files), names Windows cannot hold and names that differ only
// in case (kept as they are on this case-sensitive Linux target; the mapping for Windows and
// case-insensitive targets is proven in test/unit/uploader/restore/target-names.test.ts and
// restore-entries.test.ts). A restore killed with kill -9 and run again leaves no `.ds-*` file.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, link, lstat, lutimes, mkdir, readdir, readFile, readlink, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { enrolledPc, type Pc } from "../support/cli.ts";
import { makeSpecialFiles } from "../support/tree.ts";
import { startServer, type TestServer } from "../support/server.ts";

const latin1 = (s: string) => Buffer.from(s, "latin1");
const join = (dir: Buffer, name: string | Buffer) =>
  Buffer.concat([dir, Buffer.from("/"), typeof name === "string" ? Buffer.from(name) : name]);

/** Every entry under `root` keyed by its path bytes (latin1): type, mode, mtime (ms), content, link target bytes. */
async function snapshot(root: string, opts: { dropSpecialBits?: boolean } = {}): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (abs: Buffer, rel: string) => {
    for (const name of await readdir(abs, { encoding: "buffer" })) {
      const p = join(abs, name);
      const r = rel ? `${rel}/${name.toString("latin1")}` : name.toString("latin1");
      const st = await lstat(p);
      const mode = st.mode & 0o7777 & (opts.dropSpecialBits ? 0o777 : 0o7777);
      const time = Math.floor(st.mtimeMs);
      if (st.isSymbolicLink()) out.set(r, `link -> ${(await readlink(p, { encoding: "buffer" })).toString("hex")}`);
      else if (st.isFile()) out.set(r, `file ${mode.toString(8)} ${time} ${(await readFile(p)).toString("hex").slice(0, 64)} ${st.size}`);
      else if (st.isDirectory()) {
        out.set(r, `dir ${mode.toString(8)} ${time}`);
        await walk(p, r);
      }
      // FIFOs and sockets are not backed up: left out of the comparison on purpose.
    }
  };
  await walk(Buffer.from(root), "");
  return out;
}

describe("every file a disk can hold backs up and restores", () => {
  let server: TestServer;
  let pc: Pc;
  let share: string;
  let closeSpecial: (() => Promise<void>) | undefined;
  const big = randomBytes(3_000_000);

  before(async () => {
    server = await startServer({ s3: false });
    pc = await enrolledPc(server, "old-nas");
    share = path.join(server.dir, "Share");
    const root = Buffer.from(share);
    await mkdir(path.join(share, "windows"), { recursive: true });
    await mkdir(join(root, latin1("caf\xe9")));
    await writeFile(join(root, `${"n".repeat(251)}.txt`), "a 255-byte name\n");
    await writeFile(join(root, latin1("\xff\xfe.txt")), "a Latin-1 name\n");
    await writeFile(join(root, latin1("caf\xe9/menu \xe0 la carte.txt")), "in a Latin-1 folder\n");
    await symlink(latin1("caf\xe9/menu \xe0 la carte.txt"), join(root, "to-latin1"));
    await symlink("../Share/windows/con.txt", path.join(share, "relative"));
    for (const n of ["con.txt", "a:b", "dot.", "space ", "*?", "A.jpg", "a.jpg", "Readme", "README"]) {
      await writeFile(path.join(share, "windows", n), `${n}\n`);
    }
    const modes: [string, number][] = [
      ["private", 0o600],
      ["group", 0o640],
      ["tool", 0o755],
      ["read-only", 0o444],
      ["setuid-tool", 0o4755],
      ["odd", 0o501],
    ];
    for (const [n, m] of modes) {
      await writeFile(path.join(share, n), n);
      await chmod(path.join(share, n), m);
    }
    await writeFile(path.join(share, "big.bin"), big);
    await link(path.join(share, "big.bin"), path.join(share, "big-hardlink.bin"));
    closeSpecial = await makeSpecialFiles(share);
    const times: [string | Buffer, string][] = [
      ["private", "1990-05-06T07:08:09.123Z"],
      ["big.bin", "2020-01-02T03:04:05.678Z"],
      ["odd", "2037-12-31T23:59:59.999Z"],
      [latin1("\xff\xfe.txt"), "2001-02-03T04:05:06.007Z"],
      ["windows/a:b", "2010-10-10T10:10:10.010Z"],
    ];
    for (const [n, t] of times) await utimes(join(root, n), new Date(t), new Date(t));
    await lutimes(path.join(share, "relative"), new Date("2015-01-01T00:00:00Z"), new Date("2015-01-01T00:00:00Z"));
    for (const d of [join(root, latin1("caf\xe9")), join(root, "windows")])
      await utimes(d, new Date("2012-12-12T12:12:12.120Z"), new Date("2012-12-12T12:12:12.120Z"));
    await chmod(join(root, latin1("caf\xe9")), 0o750);
  });
  after(async () => {
    await closeSpecial?.();
    await server?.stop();
  });

  it("backs up with exit 0, the FIFO and the socket counted, nothing skipped", async () => {
    const b = await pc.run(["backup", share]);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(b.json.skipped, []);
    assert.equal(b.json.special, 2);
  });

  it("restores byte for byte: names, modes (setuid aside), times and link targets as bytes", async () => {
    const to = path.join(server.dir, "restored");
    const r = await pc.run(["restore", "latest", "--to", to]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.failed, []);
    assert.deepEqual(r.json.mapped, [], "a case-sensitive Linux target holds every name");
    const original = await snapshot(share, { dropSpecialBits: true });
    const restored = await snapshot(path.join(to, "Share"));
    assert.deepEqual(restored, original);
    assert.ok(
      restored.has(`${"n".repeat(251)}.txt`) &&
        restored.has("\xff\xfe.txt") &&
        restored.has("windows/A.jpg") &&
        restored.has("windows/a.jpg"),
    );
    assert.equal(await readFile(path.join(to, "Share", "to-latin1"), "utf8"), "in a Latin-1 folder\n", "the byte target resolves");
    // The hard-linked pair: two files (copies), same bytes.
    const [a, b] = [await lstat(path.join(to, "Share", "big.bin")), await lstat(path.join(to, "Share", "big-hardlink.bin"))];
    assert.notEqual(a.ino, b.ino);
    assert.deepEqual(await readFile(path.join(to, "Share", "big-hardlink.bin")), big);
    // --path selects a byte name by its display form (U+FFFD for each invalid byte).
    const one = await pc.run(["restore", "latest", "--to", path.join(server.dir, "one"), "--path", "Share/\ufffd\ufffd.txt"]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.json.files, 1);
    assert.equal(
      await readFile(Buffer.concat([Buffer.from(path.join(server.dir, "one", "Share")), latin1("/\xff\xfe.txt")]), "utf8"),
      "a Latin-1 name\n",
    );
  });

  it("a restore killed with kill -9 and run again completes and leaves no temporary file", async () => {
    const to = path.join(server.dir, "killed");
    const first = await pc.run(["restore", "latest", "--to", to], undefined, { killAfterMs: 1200 });
    const killed = first.code !== 0;
    // Whether or not the kill left a temporary file this time, one is planted: the re-run removes both.
    await mkdir(path.join(to, "Share"), { recursive: true });
    await writeFile(path.join(to, "Share", ".ds-abcdefghijkl"), "as a killed restore leaves it");
    const r = await pc.run(["restore", "latest", "--to", to]);
    assert.equal(r.code, 0, `${killed ? "after a kill" : "no kill landed"}: ${r.stderr}`);
    const left = [...(await snapshot(to)).keys()].filter((k) => k.split("/").at(-1)!.startsWith(".ds-"));
    assert.deepEqual(left, []);
    assert.deepEqual(await snapshot(path.join(to, "Share")), await snapshot(share, { dropSpecialBits: true }));
  });
});
