// Issue 15, finding 1, tried as an attacker holding one device credential would, against a real
// server on Ceph RGW with direct transfer on: a device can no longer delete (or claim, or
// re-describe) a pack it was not granted. Reporting another pack's key with a table of chunk ids
// stored in other packs used to make the API delete that pack ("none of its chunks was needed"),
// and the latest restore point then failed on a new PC with BLOB_MISSING. Now a report is taken
// only for a key granted to the calling device, unexpired, with the granted table; no request
// deletes an object; and every committed restore point still restores byte for byte on a new PC.
// Also: relay downloads are limited per device, and a repaired restore point stays flagged
// "repaired, not yet verified by a studio PC" until a signed `datasafe verify` confirms it.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type pg from "pg";
import { packTableSha256 } from "../../protocol/pack-table.ts";
import { admin, enrolledPcs, type Pc } from "../support/cli.ts";
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
import { s3SkipReason } from "../support/s3.ts";
import { startServer, type TestServer } from "../support/server.ts";
import { describeTree, makeStudioTree } from "../support/tree.ts";

const skip = s3SkipReason();

type Auth = Record<string, string>;
type Row = { id: string; size: number; sha256: string };
type Result = { id: string; stored?: boolean; size?: number; status?: number; error?: { code: string } };

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("a stolen device credential cannot destroy packs (issue 15)", { skip }, () => {
  let server: TestServer;
  let victim: Pc;
  let thief: Pc;
  let newPc: Pc;
  let victimAuth: Auth;
  let thiefAuth: Auth;
  let db: pg.Client;
  let studioId: string;
  const trees: Record<string, string> = {};
  const points: Record<string, string> = {};

  const post = async (a: Auth, url: string, body: unknown) => {
    const res = await fetch(`${server.url}${url}`, {
      method: "POST",
      headers: { ...a, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { results?: Result[]; error?: { code: string }; [k: string]: unknown } };
  };
  const backup = async (pc: Pc, dir: string) => {
    const b = await pc.run(["backup", dir]);
    assert.equal(b.code, 0, b.stderr);
    return String(b.json.restorePointId);
  };
  /** Restores `id` on the new PC into a fresh folder and compares it with its source tree. */
  const restoresExactly = async (id: string, src: string) => {
    const to = path.join(server.dir, `restored-${randomBytes(4).toString("hex")}`);
    const r = await newPc.run(["restore", id, "--to", to]);
    assert.equal(r.code, 0, `restore ${id}: ${r.stderr}`);
    assert.deepEqual(await describeTree(path.join(to, path.basename(src))), await describeTree(src), `restore point ${id} byte for byte`);
  };
  /** A fabricated pack of `n` fresh chunks, and its grant for `a`. */
  const grantedPack = async (a: Auth, n = 2) => {
    const datas = Array.from({ length: n }, (_, i) => randomBytes(1000 + i));
    const table = datas.map((d) => ({ id: randomBytes(32).toString("hex"), size: d.length, sha256: sha(d) }));
    const pack = Buffer.concat(datas);
    const g = await post(a, "/v1/packs/upload-url", {
      size: pack.length,
      sha256: sha(pack),
      tableSha256: packTableSha256(table).toString("hex"),
      sessionId: randomUUID(),
    });
    assert.equal(g.status, 200, JSON.stringify(g.body));
    const grant = g.body as unknown as { mode: string; key: string; url: string; headers: Record<string, string> };
    assert.equal(grant.mode, "direct");
    assert.equal((await fetch(grant.url, { method: "PUT", headers: grant.headers, body: new Uint8Array(pack) })).status, 200);
    return { key: grant.key, pack, table };
  };
  const report = (a: Auth, key: string, pack: Buffer, table: Row[]) =>
    post(a, "/v1/packs/uploaded", { key, sha256: sha(pack), chunks: table });
  const missing = async (a: Auth, ids: string[]) =>
    (await post(a, "/v1/chunks/missing", { ids, sessionId: randomUUID() })).body.missing as string[];

  before(async () => {
    server = await startServer({
      s3: true,
      // One relay download per device (the limiter test); direct uploads and GETs do not pass it.
      env: { REDIS_PREFIX: `t-${randomBytes(4).toString("hex")}`, SWEEP_INTERVAL_SECONDS: "0.5", MAX_UPLOADS_PER_DEVICE: "1" },
    });
    const studio = await enrolledPcs(server, 3);
    [victim, thief, newPc] = studio.pcs as [Pc, Pc, Pc];
    studioId = studio.studioId;
    victimAuth = await authOf(victim);
    thiefAuth = await authOf(thief);
    db = await sql(server);
    for (const name of ["victim", "thief"]) {
      trees[name] = path.join(server.dir, "src", name);
      await makeStudioTree(trees[name], { photos: 3, dbBytes: 1_500_000 });
    }
    points.victim = await backup(victim, trees.victim!);
    points.thief = await backup(thief, trees.thief!);
  });
  after(async () => {
    await db?.end();
    await server?.stop();
  });

  it("refuses a report of another device's pack key with chunks stored in other packs, and the pack and every restore point survive", async () => {
    // What the thief can learn with its credential alone: the victim's restore point and its
    // manifest root id (GET /v1/restore-points), and a presigned GET URL, which names the pack key.
    const rp = await getJson<{ rootChunkId: string }>(server, thiefAuth, `/v1/restore-points/${points.victim}`);
    const urls = await post(thiefAuth, "/v1/chunks/download-urls", { ids: [rp.rootChunkId] });
    const url = new URL((urls.body.urls as Record<string, string>)[rp.rootChunkId]!);
    const key = decodeURIComponent(url.pathname).split("/").slice(2).join("/"); // path-style: /bucket/key
    assert.match(key, /^studios\/[0-9a-f-]+\/packs\/[0-9a-f]{2}\/[0-9a-f]{32}$/);
    const store = blobStoreOf(server);
    const victimPack = await store.stat(key);
    assert.ok(victimPack, "the victim pack exists");
    const victimRows = await db.query<{ id: string }>(`SELECT encode(id, 'hex') AS id FROM "Chunk" WHERE "objectKey" = $1`, [key]);

    // Three chunk ids the thief holds (its own backup), stored in other packs, with sizes claimed
    // to fill the victim pack: the table the old API recorded as "nothing needed", then deleted.
    const theirs = await db.query<{ id: string }>(
      `SELECT encode(c.id, 'hex') AS id FROM "Chunk" c JOIN "Upload" u ON u."objectKey" = c."objectKey" WHERE u."sessionId" = $1 LIMIT 3`,
      [points.thief],
    );
    assert.equal(theirs.rows.length, 3);
    const third = Math.floor(victimPack.size / 3);
    const sizes = [third, third, victimPack.size - 2 * third];
    const table = theirs.rows.map((r, i) => ({ id: r.id, size: sizes[i]!, sha256: "0".repeat(64) }));
    const attack = await post(thiefAuth, "/v1/packs/uploaded", { key, sha256: "0".repeat(64), chunks: table });
    assert.equal(attack.status, 403, JSON.stringify(attack.body));
    assert.equal(attack.body.error?.code, "FORBIDDEN");
    // The same with a grant of its own in hand (its table, its session): the key is still not its.
    const own = await grantedPack(thiefAuth);
    assert.equal((await report(thiefAuth, key, own.pack, own.table)).status, 403);

    assert.equal((await store.stat(key))?.size, victimPack.size, "the victim pack is still there, whole");
    const after = await db.query<{ id: string }>(`SELECT encode(id, 'hex') AS id FROM "Chunk" WHERE "objectKey" = $1`, [key]);
    assert.deepEqual(after.rows, victimRows.rows, "its chunk rows unchanged");
    for (const [name, id] of Object.entries(points)) await restoresExactly(id, trees[name]!);
  });

  it("refuses the first device's granted key reported by a second device of the same studio", async () => {
    const { key, pack, table } = await grantedPack(victimAuth);
    const stolen = await report(thiefAuth, key, pack, table);
    assert.equal(stolen.status, 403, JSON.stringify(stolen.body));
    assert.deepEqual(
      await missing(
        victimAuth,
        table.map((c) => c.id),
      ),
      table.map((c) => c.id),
      "nothing recorded",
    );
    const mine = await report(victimAuth, key, pack, table);
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.deepEqual(
      mine.body.results,
      table.map((c) => ({ id: c.id, stored: true, size: c.size })),
    );
    const again = await report(victimAuth, key, pack, table);
    assert.deepEqual(again.body.results, mine.body.results, "a retried report of the completed upload answers the same");
    assert.equal((await report(thiefAuth, key, pack, table)).status, 403, "not even once it is stored");
  });

  it("refuses a table that does not hash to the granted table hash", async () => {
    const { key, pack, table } = await grantedPack(victimAuth, 3);
    const cases: Array<[string, Row[]]> = [
      ["another chunk id", [{ ...table[0]!, id: randomBytes(32).toString("hex") }, ...table.slice(1)]],
      ["sizes moved between chunks", [{ ...table[0]!, size: table[0]!.size - 1 }, { ...table[1]!, size: table[1]!.size + 1 }, table[2]!]],
      ["the chunks in another order", [table[1]!, table[0]!, table[2]!]],
      ["a chunk left out", table.slice(0, 2)],
    ];
    for (const [what, t] of cases) {
      const r = await report(victimAuth, key, pack, t);
      assert.equal(r.status, 422, `${what}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error?.code, "INTEGRITY_MISMATCH", what);
    }
    assert.deepEqual(
      await missing(
        victimAuth,
        table.map((c) => c.id),
      ),
      table.map((c) => c.id),
      "nothing recorded",
    );
    assert.equal((await report(victimAuth, key, pack, table)).status, 200, "the granted table is taken");
  });

  it("refuses a report once the grant has expired, and records nothing", async () => {
    const { key, pack, table } = await grantedPack(victimAuth);
    // The grant's expiry follows DIRECT_URL_TTL_SECONDS (at least 60 s): moved into the past here.
    await db.query(`UPDATE "Upload" SET "expiresAt" = now() AT TIME ZONE 'UTC' - interval '1 second' WHERE "objectKey" = $1`, [key]);
    const late = await report(victimAuth, key, pack, table);
    assert.equal(late.status, 409, JSON.stringify(late.body));
    assert.equal(late.body.error?.code, "GRANT_EXPIRED");
    assert.deepEqual(
      await missing(
        victimAuth,
        table.map((c) => c.id),
      ),
      table.map((c) => c.id),
    );
    const rec = await db.query<{ state: string }>(`SELECT state::text FROM "Upload" WHERE "objectKey" = $1`, [key]);
    assert.equal(rec.rows[0]?.state, "granted", "left for garbage collection");
    assert.ok(await blobStoreOf(server).stat(key), "the object is not deleted by the request either");
  });

  it("limits relay downloads per device: 429 with Retry-After over the limit, other devices unaffected", async () => {
    // One 4 MiB chunk, relayed, then read through the API by a client that does not read the body:
    // the response cannot finish, so the download holds the device's one slot.
    const data = randomBytes(4 * 1024 * 1024);
    const id = randomBytes(32).toString("hex");
    const head = Buffer.from(JSON.stringify({ sessionId: randomUUID(), chunks: [{ id, size: data.length, sha256: sha(data) }] }));
    const put = await fetch(`${server.url}/v1/packs`, {
      method: "PUT",
      headers: { ...victimAuth, "content-type": "application/octet-stream", "x-pack-table-length": String(head.length) },
      body: new Uint8Array(Buffer.concat([head, data])),
    });
    assert.equal(put.status, 200, await put.text());
    // The held download can still complete when the kernel's socket buffers on loopback take all
    // 4 MiB (several MB each way): then the slot is free again and the second download is served.
    // So the hold is tried up to three times; it must be refused at least once.
    let over: Response | undefined;
    for (let attempt = 0; attempt < 3 && over?.status !== 429; attempt++) {
      const held = http.get(`${server.url}/v1/chunks/${id}`, { headers: victimAuth });
      held.on("error", () => undefined); // the reset we cause
      const first = await new Promise<http.IncomingMessage>((resolve) => held.on("response", resolve));
      assert.equal(first.statusCode, 200);
      try {
        const [tried, other] = await Promise.all([
          fetch(`${server.url}/v1/chunks/${id}`, { headers: victimAuth }),
          fetch(`${server.url}/v1/chunks/${id}`, { headers: thiefAuth }).then(async (r) => ({
            status: r.status,
            data: Buffer.from(await r.arrayBuffer()),
          })),
        ]);
        await tried.arrayBuffer();
        over = tried;
        assert.equal(other.status, 200, "another device of the studio is served meanwhile");
        assert.ok(other.data.equals(data));
      } finally {
        held.destroy();
        // Nothing of this test may hold the device's slot for the next one.
        await waitFor("the slot to be freed", async () => {
          const r = await fetch(`${server.url}/v1/chunks/${id}`, { headers: victimAuth });
          await r.arrayBuffer();
          return r.status === 200;
        });
      }
    }
    assert.equal(over?.status, 429, "a second download of the same device waits, then is turned away");
    assert.equal(over.headers.get("retry-after"), "1");
  });

  it("flags a repaired restore point until a signed `datasafe verify` confirms it; the server's re-read does not clear it", async () => {
    const src = path.join(server.dir, "src", "repair");
    await mkdir(src, { recursive: true });
    await writeFile(path.join(src, "a.bin"), randomBytes(12_000));
    await writeFile(path.join(src, "b.bin"), randomBytes(12_000));
    const id = await backup(victim, src);
    const auth = victimAuth;
    await settled(server, auth);
    const root = (await getJson<{ rootChunkId: string }>(server, auth, `/v1/restore-points/${id}`)).rootChunkId;
    const chunk = (await refsOf(db, id)).find((c) => c !== root)!;
    await damage(blobStoreOf(server), await chunkRow(db, chunk), "flip");
    const before = await chunkRow(db, chunk);
    const v = await admin(server, ["verify", "--studio", studioId, "--wait"]);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    const view = async (): Promise<HealthView> => (await healthById(server, auth)).get(id)!;
    assert.equal((await view()).health, "damaged");
    assert.equal((await view()).repairUnconfirmedSince, null);

    // The next backup of the same files sends the damaged chunk again: the point is repaired. Any
    // device could have sent junk instead, which the server's re-read cannot tell.
    await backup(victim, src);
    assert.notEqual((await chunkRow(db, chunk)).objectKey, before.objectKey, "the chunk moved to the new upload");
    const repaired = await waitFor("the repaired point verified by the server", async () => {
      const h = await view();
      return h.health === "verified" ? h : null;
    });
    assert.ok(repaired.repairUnconfirmedSince, "repaired, not yet verified by a studio PC");
    const reread = await admin(server, ["verify", "--studio", studioId, "--wait"]);
    assert.equal(reread.code, 0, reread.stdout + reread.stderr);
    assert.equal((await view()).repairUnconfirmedSince, repaired.repairUnconfirmedSince, "the server's own re-read does not clear it");

    const sampled = await victim.run(["verify", id, "--read-data-subset", "50%"]);
    assert.equal(sampled.code, 0, sampled.stderr);
    assert.ok((await view()).repairUnconfirmedSince, "a sampled check does not confirm every replaced chunk");
    const full = await victim.run(["verify", id]);
    assert.equal(full.code, 0, full.stderr);
    assert.equal((await view()).repairUnconfirmedSince, null, "a signed, complete, OK verify confirms the repair");
  });
});
