// Issue 15, finding 2: a manifest signed by a compromised (but legitimately enrolled) device cannot
// make restore read, write, delete or follow anything outside `--to`. Each payload is committed by
// one PC (test/support/crafted-restore-point.ts) and restored by another with the real CLI against
// a real server on Ceph RGW (direct transfer); a sibling folder holding the victim's files is
// compared, bytes, modes and times, before and after every restore.
// Issue 16 (restore-writer parts): a 255-byte name round-trips, one file that cannot be written
// does not stop the others (exit 5, listed), special mode bits are dropped unless asked, holes stay
// holes.
import assert from "node:assert/strict";
import { chmod, lstat, mkdir, readdir, readFile, readlink, stat, symlink, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { enrolledPcs, run, type CliResult, type Pc } from "../support/cli.ts";
import { commitCrafted, type CraftedEntry } from "../support/crafted-restore-point.ts";
import { s3SkipReason } from "../support/s3.ts";
import { startServer, type TestServer } from "../support/server.ts";
import { describeTree } from "../support/tree.ts";

const skip = s3SkipReason();
const MiB = 1024 * 1024;

describe("restore of a hostile manifest stays inside --to", { skip }, () => {
  let server: TestServer;
  let attacker: Pc;
  let restorer: Pc;
  let outside: string;
  let n = 0;
  const target = () => path.join(server.dir, `to-${n++}`);
  const errorCode = (r: CliResult) => (r.json.error as { code?: string } | undefined)?.code;

  before(async () => {
    server = await startServer({ s3: true });
    [attacker, restorer] = (await enrolledPcs(server, 2)).pcs as [Pc, Pc];
    // The victim's home, next to the restore targets.
    outside = path.join(server.dir, "victim-home");
    await mkdir(path.join(outside, ".ssh"), { recursive: true });
    await writeFile(path.join(outside, ".ssh", "authorized_keys"), "ssh-ed25519 AAAA the-owner\n", { mode: 0o600 });
    await writeFile(path.join(outside, "notes.txt"), "the owner's notes\n");
  });
  after(async () => server?.stop());

  /** Restores `entries` (committed by the attacker's PC) and checks that `outside` did not change. */
  const restoreCrafted = async (entries: CraftedEntry[], to: string, args: string[] = []): Promise<CliResult> => {
    const id = await commitCrafted(attacker.home, entries);
    const before = await describeTree(outside);
    const r = await restorer.run(["restore", id, "--to", to, ...args]);
    assert.deepEqual(await describeTree(outside), before, `nothing outside --to changed\n${r.stderr}`);
    return r;
  };
  const refusedUntouched = async (entries: CraftedEntry[], codes: string[]) => {
    const to = target();
    const r = await restoreCrafted(entries, to);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(codes.includes(errorCode(r)!), `${errorCode(r)}: ${r.stderr}`);
    assert.deepEqual(await readdir(to).catch(() => []), [], "nothing was written");
  };

  it("refuses a symlink with an entry under it, in either order", async () => {
    const link: CraftedEntry = { path: "evil/x", type: "symlink", target: path.join(outside, ".ssh") };
    const under: CraftedEntry = { path: "evil/x/authorized_keys", data: "ssh-ed25519 AAAA the-attacker\n" };
    // The format layer's canonical-order check (entry-order.ts) refuses these first now; restore's
    // own checks (entry-checks.ts) would refuse them too.
    await refusedUntouched([{ path: "evil", type: "dir" }, link, under], ["UNSAFE_MANIFEST", "NOT_AUTHENTIC"]);
    await refusedUntouched([{ path: "evil", type: "dir" }, under, link], ["UNSAFE_MANIFEST", "NOT_AUTHENTIC"]);
  });

  it("refuses an entry under a file", async () => {
    await refusedUntouched(
      [
        { path: "evil", data: "a file" },
        { path: "evil/notes.txt", data: "under a file" },
      ],
      ["UNSAFE_MANIFEST", "NOT_AUTHENTIC"],
    );
  });

  // The format layer (decodeEntries) refuses these before restore's own checks see them.
  it("refuses `..`, absolute and duplicate paths", async () => {
    // Targets are server.dir/to-N: `../victim-home` is the victim's folder.
    await refusedUntouched(
      [
        { path: "ok.txt", data: "fine" },
        { path: "../victim-home/notes.txt", data: "overwritten" },
      ],
      ["NOT_AUTHENTIC"],
    );
    await refusedUntouched([{ path: "ok/../../victim-home/.ssh", type: "dir" }], ["NOT_AUTHENTIC"]);
    await refusedUntouched(
      [
        { path: "ok.txt", data: "fine" },
        { path: path.join(outside, "notes.txt"), data: "absolute" },
      ],
      ["NOT_AUTHENTIC"],
    );
    await refusedUntouched(
      [
        { path: "dup.txt", data: "first" },
        { path: "dup.txt", type: "symlink", target: path.join(outside, "notes.txt") },
      ],
      ["NOT_AUTHENTIC"],
    );
  });

  it("a second restore into the same folder replaces planted links and ignores planted partial files", async () => {
    const to = target();
    // First restore point: links are legitimate entries, and restore creates them.
    const first = await restoreCrafted(
      [
        { path: "Photos", type: "dir" },
        { path: "Photos/a.jpg", type: "symlink", target: path.join(outside, "notes.txt") },
        { path: "Photos/sub", type: "symlink", target: path.join(outside, ".ssh") },
      ],
      to,
    );
    assert.equal(first.code, 0, first.stderr);
    assert.equal(await readlink(path.join(to, "Photos", "sub")), path.join(outside, ".ssh"));
    // What the old writer opened with "w" (following a link), planted next to the target file.
    await symlink(path.join(outside, ".ssh", "authorized_keys"), path.join(to, "Photos", ".b.jpg.datasafe-partial"));
    await symlink(path.join(outside, "notes.txt"), path.join(to, "Photos", ".a.jpg.datasafe-partial"));

    const second: CraftedEntry[] = [
      { path: "Photos", type: "dir" },
      { path: "Photos/a.jpg", data: "photo a" },
      { path: "Photos/b.jpg", data: "photo b" },
      { path: "Photos/sub", type: "dir" },
      { path: "Photos/sub/authorized_keys", data: "ssh-ed25519 AAAA the-attacker\n" },
    ];
    const refused = await restoreCrafted(second, to);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(errorCode(refused), "TARGET_EXISTS");

    const forced = await restoreCrafted(second, to, ["--overwrite"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok((await lstat(path.join(to, "Photos", "sub"))).isDirectory(), "the planted link became a folder");
    assert.equal(await readFile(path.join(to, "Photos", "sub", "authorized_keys"), "utf8"), "ssh-ed25519 AAAA the-attacker\n");
    assert.ok((await lstat(path.join(to, "Photos", "a.jpg"))).isFile());
    assert.equal(await readFile(path.join(to, "Photos", "a.jpg"), "utf8"), "photo a");
    assert.equal(await readFile(path.join(to, "Photos", "b.jpg"), "utf8"), "photo b");
    const names = await readdir(path.join(to, "Photos"));
    assert.deepEqual(
      names.filter((x) => x.startsWith(".ds-")),
      [],
      "no temporary file left",
    );
  });

  it("restores every other file when one cannot be written, lists it and exits 5", async () => {
    const to = target();
    await mkdir(path.join(to, "Shoot", "02.jpg"), { recursive: true }); // a folder where a file goes
    const entries: CraftedEntry[] = [
      { path: "Shoot", type: "dir" },
      ...Array.from({ length: 4 }, (_, i): CraftedEntry => ({ path: `Shoot/0${i + 1}.jpg`, data: `photo ${i + 1}`.repeat(1000) })),
    ];
    const r = await restoreCrafted(entries, to, ["--overwrite"]);
    assert.equal(r.code, 5, r.stderr);
    assert.deepEqual(
      (r.json.failed as Array<{ path: string; error: string }>).map((f) => f.path),
      ["Shoot/02.jpg"],
    );
    assert.equal(r.json.files, 3);
    for (const i of [1, 3, 4]) assert.equal(await readFile(path.join(to, "Shoot", `0${i}.jpg`), "utf8"), `photo ${i}`.repeat(1000));

    // Without --json: the others are in place now, the one failure is listed again.
    const human = await run("datasafe.js", ["restore", String(r.json.restorePointId), "--to", to, "--overwrite"], restorer.env());
    assert.equal(human.code, 5, human.stderr);
    assert.match(human.stdout, /restored 0 files .*\n1 not restored:\n {2}Shoot\/02\.jpg: EISDIR/);
  });

  it("backs up and restores 250- and 255-byte names, setuid only when asked, holes as holes", async () => {
    const src = path.join(server.dir, "awkward");
    await mkdir(src);
    const long255 = `${"é".repeat(120)}${"x".repeat(11)}.jpg`;
    const long250 = `${"a".repeat(246)}.jpg`;
    assert.deepEqual([Buffer.byteLength(long255), Buffer.byteLength(long250)], [255, 250]);
    await writeFile(path.join(src, long255), "two hundred fifty-five");
    await writeFile(path.join(src, long250), "two hundred fifty");
    await writeFile(path.join(src, "zz-after.txt"), "restored after the long names");
    await writeFile(path.join(src, "tool"), "#!/bin/sh\n", { mode: 0o755 });
    await chmod(path.join(src, "tool"), 0o4755);
    await writeFile(path.join(src, "disk.img"), "");
    await truncate(path.join(src, "disk.img"), 48 * MiB);
    await writeFile(path.join(src, "disk.img"), "x", { flag: "a" });

    const b = await attacker.run(["backup", src], { DATASAFE_PASSPHRASE: "" });
    assert.equal(b.code, 0, b.stderr);
    const to = target();
    const r = await restorer.run(["restore", String(b.json.restorePointId), "--to", to]);
    assert.equal(r.code, 0, r.stderr);
    const want = await describeTree(src);
    const got = await describeTree(path.join(to, "awkward"));
    assert.equal(got.get("tool")?.mode, 0o755, "setuid dropped by default");
    want.delete("tool");
    got.delete("tool");
    assert.deepEqual(got, want);
    const img = await stat(path.join(to, "awkward", "disk.img"));
    assert.equal(img.size, 48 * MiB + 1);
    assert.ok(img.blocks * 512 < 8 * MiB, `48 MiB of zeros restored as ${img.blocks * 512} allocated bytes`);

    const kept = target();
    const k = await restorer.run(["restore", String(b.json.restorePointId), "--to", kept, "--path", "awkward/tool", "--keep-special-bits"]);
    assert.equal(k.code, 0, k.stderr);
    assert.equal((await stat(path.join(kept, "awkward", "tool"))).mode & 0o7777, 0o4755);
  });
});
