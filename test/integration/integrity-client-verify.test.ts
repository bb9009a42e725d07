// `datasafe verify` against a real server: a full and a sampled check pass and are recorded; a
// tampered chunk (bytes changed in storage) and a swapped chunk (the record points at another
// id's ciphertext, which the server's own checksum cannot see) are caught; the signed report
// makes the server mark the swapped chunk damaged, the next backup replaces it, and a report
// signed with any other key is refused.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type pg from "pg";
import { REPORT_SIGNING_PREFIX } from "../../protocol/integrity-schemas.ts";
import { enrolledPcs, type Pc } from "../support/cli.ts";
import {
  authOf,
  blobStoreOf,
  chunkRow,
  damage,
  getJson,
  healthById,
  refsOf,
  settled,
  sql,
  waitFor,
  type HealthView,
} from "../support/integrity.ts";
import { startServer, type TestServer } from "../support/server.ts";

describe("client verify", () => {
  let server: TestServer;
  let pc: Pc;
  let auth: Record<string, string>;
  let db: pg.Client;
  let studioId: string;
  let src: string;
  let rp: string;
  let dataChunks: string[];

  before(async () => {
    server = await startServer({ env: { REDIS_PREFIX: `t-${randomBytes(4).toString("hex")}`, SWEEP_INTERVAL_SECONDS: "0.5" } });
    const enrolled = await enrolledPcs(server, 1);
    studioId = enrolled.studioId;
    pc = enrolled.pcs[0]!;
    auth = await authOf(pc);
    db = await sql(server);
    src = path.join(server.dir, "Photos");
    await mkdir(src);
    // Below the smallest chunk (a file's 16 KiB head chunk): one chunk per file, easy to tell
    // from the small manifest chunks.
    await writeFile(path.join(src, "a.jpg"), randomBytes(12_000));
    await writeFile(path.join(src, "b.jpg"), randomBytes(12_000));
    const b = await pc.run(["backup", src]);
    assert.equal(b.code, 0, b.stderr);
    rp = String(b.json.restorePointId);
    dataChunks = [];
    for (const id of await refsOf(db, rp)) if ((await chunkRow(db, id)).size > 10_000) dataChunks.push(id);
    assert.equal(dataChunks.length, 2);
    assert.equal((await settled(server, auth)).get(rp)!.health, "verified");
  });
  after(async () => {
    await db?.end();
    await server?.stop();
  });

  it("checks every chunk, or a random share, and the server records the result", async () => {
    const full = await pc.run(["verify", "latest"]);
    assert.equal(full.code, 0, full.stderr);
    assert.deepEqual(full.json, { restorePointId: rp, chunksChecked: 2, bytesChecked: 24_000, ok: true, problems: [] });
    const seen = (await getJson<HealthView>(server, auth, `/v1/restore-points/${rp}`)).clientVerification;
    assert.equal(seen?.ok, true);

    const half = await pc.run(["verify", rp, "--read-data-subset", "50%"]);
    assert.equal(half.code, 0, half.stderr);
    assert.equal(half.json.chunksChecked, 1);
    const none = await pc.run(["verify", rp, "--read-data-subset", "0"]);
    assert.equal(none.code, 2, "a share must be above 0");
    const wrong = await pc.run(["verify", rp], { DATASAFE_PASSPHRASE: "not the passphrase" });
    assert.equal(wrong.code, 3);
  });

  it("refuses a report not signed with the studio key (a device credential is not enough)", async () => {
    const other = generateKeyPairSync("ed25519");
    const report = JSON.stringify({
      version: 1,
      studioId,
      restorePointId: rp,
      checkedAt: new Date().toISOString(),
      subsetPercent: 100,
      chunksChecked: 1,
      bytesChecked: 1,
      ok: false,
      problems: [{ code: "AUTH_FAILED", chunkId: dataChunks[0] }],
      damagedChunks: [{ id: dataChunks[0], sha256: "00".repeat(32), code: "AUTH_FAILED" }],
    });
    const signature = sign(null, Buffer.concat([Buffer.from(REPORT_SIGNING_PREFIX), Buffer.from(report)]), other.privateKey).toString(
      "base64",
    );
    const res = await fetch(`${server.url}/v1/restore-points/${rp}/client-verification`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ report, signature }),
    });
    assert.equal(res.status, 403);
    assert.equal((await chunkRow(db, dataChunks[0]!)).state, "ok");
  });

  it("catches a tampered chunk; the server re-reads it and marks the point damaged", async () => {
    const a = await chunkRow(db, dataChunks[0]!);
    await damage(blobStoreOf(server), a, "flip");
    const v = await pc.run(["verify", rp]);
    assert.equal(v.code, 1, v.stderr);
    assert.equal(v.json.ok, false);
    assert.deepEqual(v.json.problems, [
      { code: "AUTH_FAILED", chunkId: a.id, message: `chunk ${a.id} failed authentication (AUTH_FAILED)` },
    ]);
    // The reported bytes differ from the record: the server checks for itself rather than trust.
    await waitFor("the server's re-read", async () => (await chunkRow(db, a.id)).state === "damaged");
    // Marking the chunk and propagating to its restore points are separate steps of the job.
    await waitFor("the point marked damaged", async () => (await healthById(server, auth)).get(rp)!.health === "damaged");
  });

  it("catches a swapped chunk the server cannot see; the signed report gets it replaced by the next backup", async () => {
    const [a, b] = [await chunkRow(db, dataChunks[0]!), await chunkRow(db, dataChunks[1]!)];
    // Chunk b's record now names the ciphertext of another id (b's own, re-stored under a's id, so
    // the server's size and checksum comparison still passes).
    await db.query(
      `UPDATE "Chunk" c SET "objectKey" = o."objectKey", "offset" = o."offset", size = o.size, sha256 = o.sha256 FROM "Chunk" o WHERE c.id = decode($1, 'hex') AND o.id = decode($2, 'hex')`,
      [a.id, b.id],
    );
    await db.query(`UPDATE "Chunk" SET state = 'ok', problem = NULL, "damagedAt" = NULL WHERE id = decode($1, 'hex')`, [a.id]);
    const v = await pc.run(["verify", rp]);
    assert.equal(v.code, 1, v.stderr);
    assert.deepEqual(
      (v.json.problems as Array<{ code: string; chunkId: string }>).map((p) => [p.code, p.chunkId]),
      [["AUTH_FAILED", a.id]],
    );
    const row = await db.query<{ state: string; problem: string }>(`SELECT state, problem FROM "Chunk" WHERE id = decode($1, 'hex')`, [
      a.id,
    ]);
    assert.deepEqual(row.rows[0], { state: "damaged", problem: "client:AUTH_FAILED" });
    assert.equal((await healthById(server, auth)).get(rp)!.health, "damaged");

    const again = await pc.run(["backup", src]);
    assert.equal(again.code, 0, again.stderr);
    await waitFor("the point verified again", async () => (await settled(server, auth)).get(rp)!.health === "verified");
    const ok = await pc.run(["verify", rp]);
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal(ok.json.ok, true);
  });
});
