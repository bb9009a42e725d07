// Resume anywhere: the uploader or the API killed (SIGKILL) at named points and at random
// moments; running the same backup again completes it without resending what the server holds,
// nothing half-written is ever visible, and the result restores byte-for-byte.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { enrolledPcs, Pc } from "../support/cli.ts";
import { startServer, type TestServer } from "../support/server.ts";
import { describeTree } from "../support/tree.ts";

const KILLED = 137; // 128 + SIGKILL, as a shell reports it; node reports null code -> our -1

describe("resume after kill -9", () => {
  let server: TestServer;
  let pc: Pc;
  let restorer: Pc;
  let src: string;

  const points = async () => ((await restorer.run(["list"])).json.restorePoints as unknown[]).length;
  const checkRestore = async (id: string) => {
    const to = path.join(server.dir, `restore-${randomBytes(3).toString("hex")}`);
    const r = await restorer.run(["restore", id, "--to", to]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await describeTree(path.join(to, "tree")), await describeTree(src));
  };

  before(async () => {
    server = await startServer();
    [pc, restorer] = (await enrolledPcs(server, 2)).pcs as [Pc, Pc];
    src = path.join(server.dir, "tree");
    await mkdir(path.join(src, "photos"), { recursive: true });
    for (let i = 0; i < 6; i++) await writeFile(path.join(src, "photos", `p${i}.jpg`), randomBytes(2_500_000));
  });
  after(async () => server?.stop());

  it("uploader killed after a few chunk uploads resumes without resending them", async () => {
    const killed = await pc.run(["backup", src], { DATASAFE_FAULT_POINT: "after-chunk-upload:5" });
    assert.notEqual(killed.code, 0);
    assert.equal(await points(), 0, "no restore point is visible after a killed run");
    const resumed = await pc.run(["backup", src]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(Number(resumed.json.chunksUploaded) < Number(resumed.json.chunksTotal), "some chunks were already stored");
    assert.equal(await points(), 1);
    await checkRestore(String(resumed.json.restorePointId));
  });

  it("uploader killed just before the commit; the journal spares re-reading, even from a fresh home the server's answer suffices", async () => {
    await writeFile(path.join(src, "photos", "new.jpg"), randomBytes(3_000_000));
    const killed = await pc.run(["backup", src], { DATASAFE_FAULT_POINT: "before-commit" });
    assert.notEqual(killed.code, 0);
    assert.equal(await points(), 1);
    const resumed = await pc.run(["backup", src]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.json.bytesRead, 0, "the killed run's journal lists every file as stored");
    assert.ok(Number(resumed.json.bytesUploaded) < 10_000);

    const fresh = await Pc.create(server);
    await copyFile(path.join(pc.home, "device.json"), path.join(fresh.home, "device.json"));
    const fromFresh = await fresh.run(["backup", src]);
    assert.equal(fromFresh.code, 0, fromFresh.stderr);
    assert.ok(Number(fromFresh.json.bytesRead) > 15_000_000, "no cache: everything is read");
    assert.ok(Number(fromFresh.json.bytesUploaded) < 10_000, "but nothing already stored is sent");
  });

  it("uploader killed at random moments, then completed", async () => {
    await writeFile(path.join(src, "photos", "late.jpg"), randomBytes(4_000_000));
    for (const ms of [400, 900, 1500]) {
      const r = await pc.run(["backup", src, "--full-reread"], {}, { killAfterMs: ms });
      assert.ok(r.code === 0 || r.code === -1 || r.code === KILLED, `exit ${r.code}: ${r.stderr}`);
    }
    const done = await pc.run(["backup", src]);
    assert.equal(done.code, 0, done.stderr);
    await checkRestore(String(done.json.restorePointId));
  });

  for (const point of ["chunk-stored-before-row", "commit-before-transaction", "commit-after-transaction"]) {
    it(`API killed at ${point}: the same backup completes once the API is back, with one restore point`, async () => {
      await writeFile(path.join(src, "photos", `${point}.jpg`), randomBytes(1_500_000));
      await server.restart({ DATASAFE_FAULT_POINT: point });
      const before = await points().catch(() => -1);
      const backup = pc.run(["backup", src]);
      // Wait for the API to die at the fault point, then bring it back without the fault.
      while (server.proc.exitCode === null && server.proc.signalCode === null) await new Promise((r) => setTimeout(r, 50));
      await server.restart({ DATASAFE_FAULT_POINT: undefined });
      const r = await backup;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await points(), before + 1, "exactly one new restore point");
      await checkRestore(String(r.json.restorePointId));
    });
  }

  it("an unreadable file is skipped and reported; the rest is backed up (exit 5)", async () => {
    const tree = path.join(server.dir, "partly-readable");
    await mkdir(tree, { recursive: true });
    await writeFile(path.join(tree, "ok.txt"), "fine\n");
    await writeFile(path.join(tree, "locked.db"), "secret\n");
    await chmod(tree, 0o755);
    await chmod(path.join(tree, "locked.db"), 0o000);
    const home = await Pc.create(server);
    await copyFile(path.join(pc.home, "device.json"), path.join(home.home, "device.json"));
    // Root reads anything: the uploader runs without that power (support/unprivileged.ts).
    const r = await home.run(["backup", tree], {}, { unprivileged: true });
    assert.equal(r.code, 5, r.stderr);
    assert.equal(r.json.files, 1);
    const skipped = r.json.skipped as Array<{ path: string; error: string }>;
    assert.deepEqual(
      skipped.map((s) => s.path),
      ["partly-readable/locked.db"],
    );
    assert.match(skipped[0]!.error, /EACCES/);
  });
});
