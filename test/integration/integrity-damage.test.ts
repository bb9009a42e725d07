// Server-side integrity against a real server (Postgres, Redis, local directory and Ceph RGW S3):
// a flipped byte, a truncated blob and a deleted blob are each detected and mark exactly the
// restore points that reference them damaged, with an alert; the next backup repairs a damaged
// chunk it still has, under a new object key, and the affected points become verified again.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type pg from "pg";
import { admin, enrolledPcs, type Pc } from "../support/cli.ts";
import { authOf, blobStoreOf, chunkRow, damage, getJson, refsOf, settled, sql, waitFor, type HealthView } from "../support/integrity.ts";
import { s3SkipReason } from "../support/s3.ts";
import { startServer, type TestServer } from "../support/server.ts";

const stores = [
  { name: "local directory", s3: false },
  { name: "S3 (Ceph RGW)", s3: true },
];

const damagedSet = (h: Map<string, HealthView>) =>
  [...h.values()]
    .filter((r) => r.health === "damaged")
    .map((r) => r.id)
    .sort();

for (const store of stores) {
  const skip = store.s3 ? s3SkipReason() : false;
  describe(`integrity: damage and repair against ${store.name}`, { skip }, () => {
    let server: TestServer;
    let pc: Pc;
    let auth: Record<string, string>;
    let db: pg.Client;
    let studioId: string;
    const rp: string[] = [];
    const dirs: Record<string, string> = {};

    const backup = async (dir: string) => {
      const b = await pc.run(["backup", dir]);
      assert.equal(b.code, 0, b.stderr);
      return String(b.json.restorePointId);
    };
    const rootOf = async (id: string) => (await getJson<{ rootChunkId: string }>(server, auth, `/v1/restore-points/${id}`)).rootChunkId;

    before(async () => {
      server = await startServer({
        s3: store.s3,
        env: { REDIS_PREFIX: `t-${randomBytes(4).toString("hex")}`, SWEEP_INTERVAL_SECONDS: "0.5" },
      });
      const enrolled = await enrolledPcs(server, 1);
      studioId = enrolled.studioId;
      pc = enrolled.pcs[0]!;
      auth = await authOf(pc);
      db = await sql(server);
      // Files below the smallest chunk (a file's 16 KiB head chunk) are one chunk each, so x.bin
      // is one chunk shared by the backups of A and B.
      const x = randomBytes(12_000);
      for (const [name, files] of Object.entries({
        A: { "x.bin": x },
        B: { "x.bin": x, "y.bin": randomBytes(12_000) },
        C: { "z.bin": randomBytes(12_000) },
      })) {
        dirs[name] = path.join(server.dir, "src", name);
        await mkdir(dirs[name], { recursive: true });
        for (const [f, data] of Object.entries(files)) await writeFile(path.join(dirs[name], f), data);
      }
      for (const d of ["A", "B", "C", "C"]) rp.push(await backup(dirs[d]!));
      const h = await settled(server, auth);
      assert.deepEqual(
        [...h.values()].map((r) => r.health),
        ["verified", "verified", "verified", "verified"],
      );
    });
    after(async () => {
      await db?.end();
      await server?.stop();
    });

    it("a flipped byte in a shared chunk marks exactly the points that reference it (admin verify --wait)", async () => {
      const r1 = await refsOf(db, rp[0]!);
      const r2 = new Set(await refsOf(db, rp[1]!));
      const shared = r1.filter((id) => r2.has(id));
      assert.equal(shared.length, 1, "x.bin is the one chunk A and B share");
      const x = await chunkRow(db, shared[0]!);
      await damage(blobStoreOf(server), x, "flip");

      const v = await admin(server, ["verify", "--studio", studioId, "--wait"]);
      assert.equal(v.code, 1, v.stderr + v.stdout); // damage found
      assert.deepEqual(Object.keys(v.json).sort(), [
        "bytesChecked",
        "chunksChecked",
        "damaged",
        "damagedRestorePoints",
        "restorePoints",
        "studioId",
        "verified",
      ]);
      assert.equal(v.json.studioId, studioId);
      assert.equal(v.json.restorePoints, 4);
      assert.equal(v.json.damaged, 2);
      assert.equal(v.json.verified, 2);
      assert.deepEqual((v.json.damagedRestorePoints as string[]).sort(), [rp[0], rp[1]].sort());
      const total = await db.query<{ n: number; b: string }>(`SELECT count(*)::int AS n, sum(size)::text AS b FROM "Chunk"`);
      assert.equal(v.json.chunksChecked, total.rows[0]!.n, "every blob re-read once");
      assert.equal(String(v.json.bytesChecked), total.rows[0]!.b);

      const h = await settled(server, auth);
      assert.deepEqual(damagedSet(h), [rp[0], rp[1]].sort());
      assert.equal(h.get(rp[0]!)!.damagedChunks, 1);
      assert.equal((await chunkRow(db, x.id)).state, "damaged");
      const summary = await getJson<{
        latestVerified: { id: string } | null;
        damagedRestorePoints: number;
        openAlerts: Array<{ kind: string; restorePointId: string }>;
      }>(server, auth, "/v1/studio");
      assert.equal(summary.latestVerified?.id, rp[3]);
      assert.equal(summary.damagedRestorePoints, 2);
      assert.deepEqual(
        summary.openAlerts.map((a) => [a.kind, a.restorePointId]).sort(),
        [
          ["restore_point_damaged", rp[0]],
          ["restore_point_damaged", rp[1]],
        ].sort(),
      );
    });

    it("a truncated and a deleted blob are found by the workers (queued verify) and mark only their points", async () => {
      // A manifest root is the last chunk its backup sends, so it ends its pack: cutting the pack
      // short damages the root alone. rp[3] (C unchanged) sent nothing but its root.
      await damage(blobStoreOf(server), await chunkRow(db, await rootOf(rp[2]!)), "truncate");
      await damage(blobStoreOf(server), await chunkRow(db, await rootOf(rp[3]!)), "delete");
      const q = await admin(server, ["verify", "--studio", studioId]);
      assert.equal(q.code, 0, q.stderr);
      assert.equal(q.json.queued, true);
      const h = await waitFor("all four damaged", async () => {
        const s = await settled(server, auth);
        return damagedSet(s).length === 4 ? s : null;
      });
      assert.deepEqual(
        [2, 3].map((i) => h.get(rp[i]!)!.damagedChunks),
        [1, 1],
      );
      const problems = await db.query<{ problem: string }>(`SELECT problem FROM "Chunk" WHERE state = 'damaged' ORDER BY problem`);
      assert.deepEqual(
        problems.rows.map((r) => r.problem),
        ["checksum", "missing", "size"],
      );
    });

    it("the next backup re-uploads the damaged chunk under a new key and its points become verified", async () => {
      const rows: Array<Awaited<ReturnType<typeof chunkRow>>> = [];
      for (const id of await refsOf(db, rp[0]!)) rows.push(await chunkRow(db, id));
      const shared = rows.find((c) => c.state === "damaged")!;
      const b = await pc.run(["backup", dirs.B!]);
      assert.equal(b.code, 0, b.stderr);
      // The unchanged-file cache skips reading x.bin; the commit reports the damaged chunk missing,
      // so the uploader re-reads its files and sends it again (run-backup.ts).
      assert.ok(Number(b.json.chunksUploaded) >= 2, `the damaged chunk is uploaded again with the new manifest: ${b.stdout}`);
      const repaired = await chunkRow(db, shared.id);
      assert.notEqual(repaired.objectKey, shared.objectKey, "a new object, never an overwrite");
      const h = await waitFor("A and B verified again", async () => {
        const s = await settled(server, auth);
        return s.get(rp[0]!)!.health === "verified" && s.get(rp[1]!)!.health === "verified" ? s : null;
      });
      assert.deepEqual(damagedSet(h), [rp[2], rp[3]].sort(), "unique manifest roots cannot be re-sent: those stay damaged");
      assert.equal(h.get(String(b.json.restorePointId))!.health, "verified");
      const open = await db.query<{ rp: string }>(`SELECT "restorePointId" AS rp FROM "Alert" WHERE "resolvedAt" IS NULL ORDER BY 1`);
      assert.deepEqual(
        open.rows.map((r) => r.rp),
        [rp[2], rp[3]].sort(),
      );
    });
  });
}
