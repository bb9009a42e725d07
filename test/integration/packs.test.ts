// Packs over HTTP (server/services/packs.ts): several chunks in one stored object, relayed through
// the API (streamed into the local directory store, or buffered for S3 without direct transfer)
// or PUT straight to the bucket and reported (S3, Ceph RGW). Each
// chunk is then its own row: reported present, readable alone (a ranged read), per studio.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { packTableSha256 } from "../../protocol/pack-table.ts";
import { MAX_PACK_BYTES } from "../../protocol/limits.ts";
import { enrolledPcs } from "../support/cli.ts";
import { authOf, chunkRow, sql, waitFor } from "../support/integrity.ts";
import { s3SkipReason } from "../support/s3.ts";
import { startServer, type TestServer } from "../support/server.ts";

type Auth = Record<string, string>;
type Result = { id: string; stored?: boolean; size?: number; status?: number; error?: { code: string } };
interface Chunk {
  id: string;
  data: Buffer;
  sha256: string;
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const chunk = (size: number): Chunk => {
  const data = randomBytes(size);
  return { id: randomBytes(32).toString("hex"), data, sha256: sha(data) };
};
const tableOf = (chunks: Chunk[]) => chunks.map((c) => ({ id: c.id, size: c.data.length, sha256: c.sha256 }));
/** The upload session (restore point id) these tests' packs name. */
const session = randomUUID();

function client(server: TestServer) {
  const post = async (auth: Auth, url: string, body: unknown) => {
    const res = await fetch(`${server.url}${url}`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** PUT /v1/packs: the table as JSON, then the pack (or `raw` as the whole body). */
  const relay = async (auth: Auth, table: unknown, data: Buffer, o: { tableLength?: string; raw?: Buffer } = {}) => {
    const head = Buffer.from(JSON.stringify({ sessionId: session, chunks: table }));
    const body = o.raw ?? Buffer.concat([head, data]);
    const res = await fetch(`${server.url}/v1/packs`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/octet-stream", "x-pack-table-length": o.tableLength ?? String(head.length) },
      body: new Uint8Array(body),
    });
    return { status: res.status, body: (await res.json()) as { results?: Result[]; error?: { code: string } } };
  };
  const getChunk = async (auth: Auth, id: string) => {
    const res = await fetch(`${server.url}/v1/chunks/${id}`, { headers: auth });
    return { status: res.status, data: Buffer.from(await res.arrayBuffer()) };
  };
  const missing = async (auth: Auth, ids: string[]) =>
    (await post(auth, "/v1/chunks/missing", { ids, sessionId: session })).body.missing as string[];
  return { post, relay, getChunk, missing };
}

const skip = s3SkipReason();

/** Files under the local store's directory, temp files included (they carry "~"). */
const filesIn = async (server: TestServer) =>
  (await readdir(path.join(server.dir, "data", "blobs"), { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => e.name);

// The relay route writes a pack into the store as it arrives where the store can (the local
// directory), and buffers it first where it cannot (S3 with direct transfer off): the same answers.
for (const [label, startRelay, streamed, o] of [
  ["streamed into the local directory store", () => startServer(), true, {}],
  ["buffered, S3 without direct transfer", () => startServer({ s3: true, env: { DIRECT_TRANSFER: "false" } }), false, { skip }],
] as const)
  describe(`packs relayed through the API, ${label}`, o, () => {
    let server: TestServer;
    let auth: Auth;
    let other: Auth;
    let api: ReturnType<typeof client>;

    before(async () => {
      server = await startRelay();
      api = client(server);
      auth = await authOf((await enrolledPcs(server, 1)).pcs[0]!);
      other = await authOf((await enrolledPcs(server, 1)).pcs[0]!);
    });
    after(async () => server?.stop());

    it("stores each chunk of a pack as its own row, readable alone; a resent pack stores nothing", async () => {
      const chunks = [chunk(100), chunk(70_000), chunk(1)];
      const pack = Buffer.concat(chunks.map((c) => c.data));
      const first = await api.relay(auth, tableOf(chunks), pack);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(
        first.body.results,
        chunks.map((c) => ({ id: c.id, stored: true, size: c.data.length })),
      );
      assert.deepEqual(
        await api.missing(
          auth,
          chunks.map((c) => c.id),
        ),
        [],
      );
      for (const c of chunks) {
        const got = await api.getChunk(auth, c.id);
        assert.equal(got.status, 200);
        assert.ok(got.data.equals(c.data), "exactly the chunk's bytes");
      }
      const db = await sql(server);
      try {
        const rowsOf = async () => {
          const rows = [];
          for (const c of chunks) rows.push(await chunkRow(db, c.id)); // one client: one query at a time
          return rows;
        };
        const rows = await rowsOf();
        assert.equal(new Set(rows.map((r) => r.objectKey)).size, 1, "one object");
        assert.deepEqual(
          rows.map((r) => r.offset),
          [0, 100, 70_100],
        );
        // Every object has its upload record: stored, with the device, session, size and hashes.
        const record = async (key: string) =>
          (
            await db.query<{ state: string; session: string; size: number; sha: string; table: string; device: string }>(
              `SELECT state::text, "sessionId"::text AS session, size, encode(sha256, 'hex') AS sha, encode("tableSha256", 'hex') AS table, "deviceId"::text AS device FROM "Upload" WHERE "objectKey" = $1`,
              [key],
            )
          ).rows[0];
        const rec = await record(rows[0]!.objectKey);
        assert.deepEqual(
          { ...rec, device: undefined },
          {
            state: "stored",
            session,
            size: pack.length,
            sha: sha(pack),
            table: packTableSha256(tableOf(chunks)).toString("hex"),
            device: undefined,
          },
        );
        const again = await api.relay(auth, tableOf(chunks), pack);
        assert.deepEqual(
          again.body.results,
          chunks.map((c) => ({ id: c.id, stored: false, size: c.data.length })),
        );
        assert.deepEqual(
          (await rowsOf()).map((r) => r.objectKey),
          rows.map((r) => r.objectKey),
          "rows unchanged",
        );
        const uploads = await db.query<{ key: string; state: string }>(
          `SELECT "objectKey" AS key, state::text FROM "Upload" WHERE "sessionId" = $1 AND "deviceId" = $2::uuid ORDER BY "createdAt"`,
          [session, rec!.device],
        );
        assert.equal(
          uploads.rows.filter((u) => u.state === "stored").length,
          2,
          "the surplus copy is recorded too, and kept for garbage collection",
        );
      } finally {
        await db.end();
      }
    });

    it("keeps studios apart: the same ids in another studio are its own chunks, and one cannot read the other's", async () => {
      const mine = [chunk(500), chunk(600)];
      assert.equal((await api.relay(auth, tableOf(mine), Buffer.concat(mine.map((c) => c.data)))).status, 200);
      assert.equal((await api.getChunk(other, mine[0]!.id)).status, 404);
      assert.deepEqual(
        await api.missing(
          other,
          mine.map((c) => c.id),
        ),
        mine.map((c) => c.id),
      );
      const theirs = mine.map((c) => ({ ...chunk(300), id: c.id }));
      const r = await api.relay(other, tableOf(theirs), Buffer.concat(theirs.map((c) => c.data)));
      assert.deepEqual(
        r.body.results?.map((x) => x.stored),
        [true, true],
      );
      assert.ok((await api.getChunk(other, mine[0]!.id)).data.equals(theirs[0]!.data));
      assert.ok((await api.getChunk(auth, mine[0]!.id)).data.equals(mine[0]!.data));
    });

    it("refuses a pack whose bytes disagree with its table, and malformed bodies, storing nothing", async () => {
      const chunks = [chunk(1000), chunk(2000)];
      const pack = Buffer.concat(chunks.map((c) => c.data));
      const ids = chunks.map((c) => c.id);
      const flipped = Buffer.from(pack);
      flipped[1500]! ^= 1;
      const cases: Array<[string, Awaited<ReturnType<typeof api.relay>>, number, string]> = [
        ["a flipped byte", await api.relay(auth, tableOf(chunks), flipped), 422, "INTEGRITY_MISMATCH"],
        ["sizes that do not add up", await api.relay(auth, tableOf(chunks), pack.subarray(1)), 400, "VALIDATION_FAILED"],
        ["no table length", await api.relay(auth, tableOf(chunks), pack, { tableLength: "" }), 400, "VALIDATION_FAILED"],
        ["a table length past the body", await api.relay(auth, tableOf(chunks), pack, { tableLength: "999999" }), 400, "VALIDATION_FAILED"],
        [
          "a table that is not JSON",
          await api.relay(auth, [], pack, { raw: Buffer.concat([Buffer.from("{nope}"), pack]), tableLength: "6" }),
          400,
          "VALIDATION_FAILED",
        ],
        ["an empty table", await api.relay(auth, [], pack), 400, "VALIDATION_FAILED"],
        ["a chunk of size 0", await api.relay(auth, [{ ...tableOf(chunks)[0]!, size: 0 }], pack), 400, "VALIDATION_FAILED"],
      ];
      for (const [what, res, status, code] of cases) {
        assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error?.code, code, what);
      }
      assert.deepEqual(await api.missing(auth, ids), ids, "nothing recorded");
    });

    it("refuses a body beyond the largest pack before reading it (413)", async () => {
      const big = chunk(MAX_PACK_BYTES + 300 * 1024);
      const res = await api.relay(auth, tableOf([big]), big.data);
      assert.equal(res.status, 413);
    });

    it("answers a large pack that fails its check early (422), and the connection serves the next pack", async () => {
      const chunks = [chunk(1_500_000), chunk(1_500_000), chunk(1_500_000), chunk(1_500_000)];
      const pack = Buffer.concat(chunks.map((c) => c.data));
      pack[10]! ^= 1; // the first chunk's: the rest of the body is still on its way
      const bad = await api.relay(auth, tableOf(chunks), pack);
      assert.equal(bad.status, 422, JSON.stringify(bad.body));
      assert.equal(bad.body.error?.code, "INTEGRITY_MISMATCH");
      pack[10]! ^= 1;
      const good = await api.relay(auth, tableOf(chunks), pack);
      assert.equal(good.status, 200, JSON.stringify(good.body));
      for (const c of [chunks[0]!, chunks[3]!]) assert.ok((await api.getChunk(auth, c.id)).data.equals(c.data));
    });

    // Only the streamed route writes a pack before its last byte is checked (into local temp files).
    if (streamed)
      it("keeps nothing of a pack refused after most of it was written, nor of one whose client went away", async () => {
        const before = await filesIn(server);
        const chunks = [chunk(2_000_000), chunk(2_000_000), chunk(2_000_000)];
        const pack = Buffer.concat(chunks.map((c) => c.data));
        pack[pack.length - 1]! ^= 1; // the last byte: the first two chunks are on disk when it is checked
        const bad = await api.relay(auth, tableOf(chunks), pack);
        assert.equal(bad.status, 422, JSON.stringify(bad.body));
        pack[pack.length - 1]! ^= 1;

        // Half a pack, then the connection drops.
        const head = Buffer.from(JSON.stringify({ sessionId: session, chunks: tableOf(chunks) }));
        const req = http.request(`${server.url}/v1/packs`, {
          method: "PUT",
          headers: {
            ...auth,
            "content-type": "application/octet-stream",
            "x-pack-table-length": String(head.length),
            "content-length": String(head.length + pack.length),
          },
        });
        req.on("error", () => undefined); // the reset we cause
        req.write(head);
        await new Promise<void>((ok) => req.write(pack.subarray(0, 3_000_000), () => ok()));
        await new Promise((r) => setTimeout(r, 200)); // let the server write what it got
        req.destroy();

        const ids = chunks.map((c) => c.id);
        await waitFor(
          "the server to drop the abandoned pack",
          async () => {
            const files = await filesIn(server);
            return files.length === before.length && files.every((f) => before.includes(f));
          },
          10_000,
        );
        assert.deepEqual(await api.missing(auth, ids), ids, "nothing recorded");
        const again = await api.relay(auth, tableOf(chunks), pack);
        assert.equal(again.status, 200, "the pack sent whole is stored");
        assert.deepEqual(await api.missing(auth, ids), []);
      });
  });

describe("packs straight to the bucket (S3)", { skip }, () => {
  let server: TestServer;
  let auth: Auth;
  let other: Auth;
  let api: ReturnType<typeof client>;
  type Grant = { mode: string; key: string; url: string; headers: Record<string, string> };
  const grant = async (a: Auth, pack: Buffer, chunks: Chunk[]) =>
    (
      await api.post(a, "/v1/packs/upload-url", {
        size: pack.length,
        sha256: sha(pack),
        tableSha256: packTableSha256(tableOf(chunks)).toString("hex"),
        sessionId: session,
      })
    ).body as Grant;
  const putTo = async (g: Grant, body: Buffer) =>
    (await fetch(g.url, { method: "PUT", headers: g.headers, body: new Uint8Array(body) })).status;
  const report = (a: Auth, key: string, pack: Buffer, chunks: Chunk[]) =>
    api.post(a, "/v1/packs/uploaded", { key, sha256: sha(pack), chunks: tableOf(chunks) });

  before(async () => {
    server = await startServer({ s3: true, env: { REDIS_PREFIX: `t-${randomBytes(4).toString("hex")}` } });
    api = client(server);
    auth = await authOf((await enrolledPcs(server, 1)).pcs[0]!);
    other = await authOf((await enrolledPcs(server, 1)).pcs[0]!);
  });
  after(async () => server?.stop());

  it("records a reported pack; its chunks share one download URL and each has its range", async () => {
    const chunks = [chunk(3000), chunk(200_000), chunk(17)];
    const pack = Buffer.concat(chunks.map((c) => c.data));
    const g = await grant(auth, pack, chunks);
    assert.equal(g.mode, "direct");
    assert.match(g.key, /\/packs\//);
    const early = await report(auth, g.key, pack, chunks);
    assert.equal(early.status, 409, "nothing uploaded yet");
    assert.equal((early.body.error as { code: string }).code, "UPLOAD_NOT_FOUND");
    assert.equal(await putTo(g, pack), 200);
    const done = await report(auth, g.key, pack, chunks);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(
      done.body.results,
      chunks.map((c) => ({ id: c.id, stored: true, size: c.data.length })),
    );
    const retried = await report(auth, g.key, pack, chunks);
    assert.deepEqual(
      (retried.body.results as Result[]).map((r) => r.stored),
      [true, true, true],
      "a retried report is done already",
    );

    const urls = (await api.post(auth, "/v1/chunks/download-urls", { ids: chunks.map((c) => c.id) })).body as {
      urls: Record<string, string>;
      ranges: Record<string, { offset: number; size: number }>;
    };
    assert.equal(new Set(Object.values(urls.urls)).size, 1, "one URL for the pack");
    assert.deepEqual(
      chunks.map((c) => urls.ranges[c.id]),
      [
        { offset: 0, size: 3000 },
        { offset: 3000, size: 200_000 },
        { offset: 203_000, size: 17 },
      ],
    );
    for (const c of chunks) {
      const r = urls.ranges[c.id]!;
      const res = await fetch(urls.urls[c.id]!, { headers: { range: `bytes=${r.offset}-${r.offset + r.size - 1}` } });
      assert.equal(res.status, 206);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(c.data));
      assert.ok((await api.getChunk(auth, c.id)).data.equals(c.data), "and through the API");
    }
  });

  it("refuses reports of another studio's key, and tables other than the granted one", async () => {
    const chunks = [chunk(1000), chunk(1000)];
    const pack = Buffer.concat(chunks.map((c) => c.data));
    const g = await grant(auth, pack, chunks);
    assert.equal(await putTo(g, pack), 200);
    const foreign = await report(other, g.key, pack, chunks);
    assert.equal(foreign.status, 403, "a key granted to another studio");
    const short = await report(auth, g.key, pack, chunks.slice(0, 1));
    assert.equal(short.status, 422, JSON.stringify(short.body));
    assert.equal((short.body.error as { code: string }).code, "INTEGRITY_MISMATCH");
    const shard = g.key.split("/").at(-2)!;
    const forged = await report(auth, g.key.replace(/[0-9a-f]{32}$/, (shard === "ff" ? "00" : "ff") + "0".repeat(30)), pack, chunks);
    assert.equal(forged.status, 403, "not a key the server granted");
    assert.deepEqual(
      await api.missing(
        auth,
        chunks.map((c) => c.id),
      ),
      chunks.map((c) => c.id),
    );
    assert.equal((await report(auth, g.key, pack, chunks)).status, 200);
    assert.deepEqual(
      await api.missing(
        auth,
        chunks.map((c) => c.id),
      ),
      [],
    );
  });
});
