// Fifty uploaders against one API process: uploads over the in-flight caps wait (bodies unread)
// or get 429 + Retry-After instead of being buffered without bound; clients back off, every
// chunk lands, no 5xx, and the API's RSS stays under 300 MB.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { ApiClient } from "../../uploader/api/client.ts";
import { issueDeviceToken } from "../../server/services/device-auth.ts";
import type { Ctx } from "../../server/context.ts";
import { newStudio } from "../support/cli.ts";
import { MB, RssSampler } from "../support/rss.ts";
import { startServer, type TestServer } from "../support/server.ts";

const UPLOADERS = 50;
const CHUNKS_EACH = 6;
const PER_UPLOADER_CONCURRENCY = 4;

describe("fifty concurrent uploaders", () => {
  let server: TestServer;
  const clients: ApiClient[] = [];

  before(async () => {
    server = await startServer(); // default caps: 8 largest chunks (~32 MiB) in flight per process, 4 uploads per device
    const { studioId } = await newStudio(server);
    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    await db.query(`UPDATE "Studio" SET keyset = '{"version":1}' WHERE id = $1`, [studioId]);
    const secret = (await readFile(path.join(server.env.DATA_DIR!, "jwt-secret"), "utf8")).trim();
    const ctx = { config: { jwtSecret: secret } } as Ctx;
    for (let i = 0; i < UPLOADERS; i++) {
      const id = randomUUID();
      await db.query(
        `INSERT INTO "Device" (id, "studioId", name, "signPublicKey", certificate) VALUES ($1, $2, $3, 'k', '{}')`,
        [id, studioId, `pc-${i}`],
      );
      clients.push(new ApiClient(server.url, issueDeviceToken(ctx, { id, studioId })));
    }
    await db.end();
  });
  after(async () => server?.stop());

  it("stores every chunk without a 5xx and keeps the API under 300 MB", async () => {
    const rss = new RssSampler(server.proc.pid!);
    const statuses = new Map<number, number>();
    const original = globalThis.fetch;
    // Count every response status the uploaders see (the client retries 429s itself).
    globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
      const res = await original(...args);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      return res;
    };
    const started = Date.now();
    try {
      await Promise.all(
        clients.map(async (client) => {
          const ids = Array.from({ length: CHUNKS_EACH }, () => randomBytes(32).toString("hex"));
          for (let i = 0; i < ids.length; i += PER_UPLOADER_CONCURRENCY) {
            await Promise.all(ids.slice(i, i + PER_UPLOADER_CONCURRENCY).map((id) => client.putChunk(id, randomBytes(MB))));
          }
          assert.deepEqual(await client.missing(ids), []);
        }),
      );
    } finally {
      globalThis.fetch = original;
    }
    const peak = rss.stop();
    const seconds = (Date.now() - started) / 1000;
    const summary = [...statuses].map(([s, n]) => `${s}x${n}`).join(" ");
    console.log(`# ${UPLOADERS * CHUNKS_EACH} chunks of 1 MiB in ${seconds.toFixed(1)} s, API peak RSS ${(peak / MB).toFixed(0)} MB, statuses ${summary}`);
    assert.equal(statuses.get(201), UPLOADERS * CHUNKS_EACH);
    for (const status of statuses.keys()) assert.ok(status < 500, `saw HTTP ${status}`);
    assert.ok(peak > 0 && peak < 300 * MB, `API peak RSS ${peak / MB} MB`);
  });
});
