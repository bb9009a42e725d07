// Authorization and enrollment rules against a real server: tenant isolation, append-only
// devices, one-use and expiring tokens, racing first enrollments, wrong passphrase stores nothing.
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { admin, newStudio, Pc } from "../support/cli.ts";
import { startServer, type TestServer } from "../support/server.ts";

async function token(pc: Pc): Promise<string> {
  return (await pc.state()).accessToken;
}

describe("tenancy, tokens and enrollment", () => {
  let server: TestServer;
  let a: Pc;
  let b: Pc;
  let aPoint: string;
  let aChunk: string;

  before(async () => {
    server = await startServer();
    const studioA = await newStudio(server, "Studio A");
    const studioB = await newStudio(server, "Studio B");
    a = await Pc.create(server);
    b = await Pc.create(server, "another studio's passphrase");
    assert.equal((await a.run(["enroll", "--token", await studioA.token()])).code, 0);
    assert.equal((await b.run(["enroll", "--token", await studioB.token()])).code, 0);
    const src = path.join(server.dir, "a-files");
    await mkdir(src);
    await writeFile(path.join(src, "secret.txt"), "studio A only\n");
    const backup = await a.run(["backup", src]);
    assert.equal(backup.code, 0, backup.stderr);
    aPoint = String(backup.json.restorePointId);
    const rp = (await (
      await fetch(`${server.url}/v1/restore-points/${aPoint}`, { headers: { authorization: `Bearer ${await token(a)}` } })
    ).json()) as { rootChunkId: string };
    aChunk = rp.rootChunkId;
  });
  after(async () => server?.stop());

  it("a device of studio B cannot see or read studio A's restore points and chunks", async () => {
    const list = await b.run(["list"]);
    assert.deepEqual(list.json.restorePoints, []);
    const auth = { authorization: `Bearer ${await token(b)}` };
    assert.equal((await fetch(`${server.url}/v1/restore-points/${aPoint}`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${server.url}/v1/chunks/${aChunk}`, { headers: auth })).status, 404);
    const missing = (await (
      await fetch(`${server.url}/v1/chunks/missing`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ ids: [aChunk], sessionId: randomUUID() }),
      })
    ).json()) as { missing: string[] };
    assert.deepEqual(missing.missing, [aChunk], "dedup answers never reveal another studio's chunks");
    const restore = await b.run(["restore", aPoint, "--to", path.join(server.dir, "b-out")]);
    assert.equal(restore.code, 4);
  });

  it("devices are append-only: no route deletes or overwrites", async () => {
    const auth = { authorization: `Bearer ${await token(a)}` };
    for (const [method, url] of [
      ["DELETE", `/v1/chunks/${aChunk}`],
      ["DELETE", `/v1/restore-points/${aPoint}`],
      ["PATCH", `/v1/restore-points/${aPoint}`],
    ] as const) {
      const res = await fetch(`${server.url}${url}`, { method, headers: auth });
      assert.equal(res.status, 404, `${method} ${url}`);
    }
    // Re-uploading an existing id (in a relayed pack, the only upload path) is answered "already
    // stored" and changes nothing.
    const forged = Buffer.from("forged content");
    const head = Buffer.from(
      JSON.stringify({
        sessionId: randomUUID(),
        chunks: [{ id: aChunk, size: forged.length, sha256: createHash("sha256").update(forged).digest("hex") }],
      }),
    );
    const res = await fetch(`${server.url}/v1/packs`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/octet-stream", "x-pack-table-length": String(head.length) },
      body: new Uint8Array(Buffer.concat([head, forged])),
    });
    assert.equal(res.status, 200);
    const size = (await (await fetch(`${server.url}/v1/chunks/${aChunk}`, { headers: auth })).arrayBuffer()).byteLength;
    assert.deepEqual(await res.json(), { results: [{ id: aChunk, size, stored: false }] });
    const out = path.join(server.dir, "a-out");
    assert.equal((await a.run(["restore", aPoint, "--to", out])).code, 0);
    assert.equal(await readFile(path.join(out, "a-files", "secret.txt"), "utf8"), "studio A only\n");
  });

  it("rejects missing, malformed and forged credentials", async () => {
    assert.equal((await fetch(`${server.url}/v1/restore-points`)).status, 401);
    assert.equal((await fetch(`${server.url}/v1/restore-points`, { headers: { authorization: "Bearer nope" } })).status, 401);
    const [h, p] = (await token(a)).split(".");
    const forged = `${h}.${p}.${Buffer.from("x".repeat(32)).toString("base64url")}`;
    assert.equal((await fetch(`${server.url}/v1/restore-points`, { headers: { authorization: `Bearer ${forged}` } })).status, 401);
  });

  it("tokens are one-use, expire, and a bad one is a clear error", async () => {
    const studio = await newStudio(server, "Studio C");
    const t = await studio.token();
    const first = await Pc.create(server);
    assert.equal((await first.run(["enroll", "--token", t])).code, 0);
    const again = await Pc.create(server);
    const reused = await again.run(["enroll", "--token", t]);
    assert.equal(reused.code, 3);
    assert.equal((reused.json.error as { code: string }).code, "TOKEN_INVALID");
    assert.equal((await again.run(["enroll", "--token", "dse_not-a-real-token"])).code, 3);

    const expiring = await admin(server, ["enrollment-token", "--studio", studio.studioId, "--ttl", "1s"]);
    await new Promise((r) => setTimeout(r, 1500));
    const expired = await again.run(["enroll", "--token", String(expiring.json.token)]);
    assert.equal(expired.code, 3);
    assert.match(expired.stderr, /invalid, expired or already used/);
    assert.ok(!existsSync(path.join(again.home, "device.json")));
  });

  it("a wrong passphrase stores nothing and leaves the token usable", async () => {
    const studio = await newStudio(server, "Studio D");
    const first = await Pc.create(server);
    assert.equal((await first.run(["enroll", "--token", await studio.token()])).code, 0);
    const t = await studio.token();
    const wrong = await Pc.create(server, "definitely wrong passphrase");
    const r = await wrong.run(["enroll", "--token", t]);
    assert.equal(r.code, 3);
    assert.equal((r.json.error as { code: string }).code, "BAD_PASSPHRASE");
    assert.ok(!existsSync(path.join(wrong.home, "device.json")));
    wrong.passphrase = first.passphrase;
    assert.equal((await wrong.run(["enroll", "--token", t])).code, 0, "the token was not consumed");
  });

  it("two racing first enrollments create one key set", async () => {
    const studio = await newStudio(server, "Studio E");
    const pcs = await Promise.all([Pc.create(server), Pc.create(server), Pc.create(server)]);
    const tokens = await Promise.all(pcs.map(() => studio.token()));
    const results = await Promise.all(pcs.map((pc, i) => pc.run(["enroll", "--token", tokens[i]!])));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(results.filter((r) => r.json.firstDevice === true).length, 1);
    const keys = await Promise.all(pcs.map(async (pc) => (await pc.state()).studioBoxPublicKey));
    assert.equal(new Set(keys).size, 1);
  });

  it("a device's state cannot decrypt: restore needs the passphrase", async () => {
    const state = await readFile(path.join(a.home, "device.json"), "utf8");
    assert.doesNotMatch(state, /boxPrivateKey|passphrase/i);
    const r = await a.run(["restore", aPoint, "--to", path.join(server.dir, "nope")], { DATASAFE_PASSPHRASE: "" });
    assert.equal(r.code, 3);
  });

  it("restore refuses a restore point whose manifest the server swapped", async () => {
    const second = path.join(server.dir, "a-other");
    await mkdir(second);
    await writeFile(path.join(second, "other.txt"), "other\n");
    const other = String((await a.run(["backup", second])).json.restorePointId);
    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    // A hostile server answers for `aPoint` with the (authentic) manifest of `other`.
    await db.query(`UPDATE "RestorePoint" SET "rootChunkId" = (SELECT "rootChunkId" FROM "RestorePoint" WHERE id = $1) WHERE id = $2`, [
      other,
      aPoint,
    ]);
    await db.end();
    const r = await a.run(["restore", aPoint, "--to", path.join(server.dir, "swapped")]);
    assert.equal(r.code, 1);
    assert.equal((r.json.error as { code: string }).code, "NOT_AUTHENTIC");
    assert.match(String((r.json.error as { message: string }).message), /WRONG_RESTORE_POINT/);
  });
});
