// Fifty uploaders against one API process, each sending its chunks as relayed packs of two 1 MiB
// chunks (PUT /v1/packs, the uploader's own client), all at once: uploads over the in-flight caps
// wait (bodies unread) or get 429 + Retry-After instead of being buffered without bound; clients
// back off, every chunk lands, no 5xx, and the API's RSS stays under 300 MB.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { BulkAgents } from "../../uploader/api/http-transport.ts";
import { ApiClient } from "../../uploader/api/client.ts";
import { issueDeviceToken } from "../../server/services/device-auth.ts";
import type { Ctx } from "../../server/context.ts";
import { newStudio } from "../support/cli.ts";
import { MB, RssSampler } from "../support/rss.ts";
import { startServer, type TestServer } from "../support/server.ts";

const UPLOADERS = 50;
const CHUNKS_EACH = 6;
const CHUNKS_PER_PACK = 2;

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
    const ctx = { config: { jwtSecret: secret, deviceTokenTtlSeconds: 3600 } } as Ctx;
    for (let i = 0; i < UPLOADERS; i++) {
      const id = randomUUID();
      await db.query(`INSERT INTO "Device" (id, "studioId", name, "signPublicKey", certificate) VALUES ($1, $2, $3, 'k', '{}')`, [
        id,
        studioId,
        `pc-${i}`,
      ]);
      // Each PC with its own connections, as separate processes would have.
      clients.push(new ApiClient(server.url, issueDeviceToken(ctx, { id, studioId }).accessToken, new BulkAgents()));
    }
    await db.end();
  });
  after(async () => server?.stop());

  it("stores every chunk without a 5xx and keeps the API under 300 MB", async () => {
    const rss = new RssSampler(server.proc.pid!);
    // Every response status the API gave (the client retries 429s itself), from its own counter.
    const before = await responseCounts(server);
    const started = Date.now();
    await Promise.all(
      clients.map(async (client) => {
        const session = randomUUID();
        const ids = Array.from({ length: CHUNKS_EACH }, () => randomBytes(32).toString("hex"));
        const send = async (pack: string[]) => {
          const datas = pack.map(() => randomBytes(MB));
          const table = pack.map((id, i) => ({ id, size: MB, sha256: createHash("sha256").update(datas[i]!).digest("hex") }));
          return (await client.sendPack(table, datas, session)).recorded;
        };
        const packs = Array.from({ length: CHUNKS_EACH / CHUNKS_PER_PACK }, (_, i) =>
          ids.slice(i * CHUNKS_PER_PACK, (i + 1) * CHUNKS_PER_PACK),
        );
        const results = (await Promise.all(packs.map(send))).flat();
        assert.ok(
          results.every((r) => "stored" in r && r.stored),
          JSON.stringify(results),
        );
        assert.deepEqual(await client.missing(ids, session), []);
      }),
    );
    const after = await responseCounts(server);
    const statuses = new Map([...after].map(([s, n]) => [s, n - (before.get(s) ?? 0)] as const).filter(([, n]) => n > 0));
    const peak = rss.stop();
    const seconds = (Date.now() - started) / 1000;
    const summary = [...statuses].map(([s, n]) => `${s}x${n}`).join(" ");
    console.log(
      `# ${UPLOADERS * CHUNKS_EACH} chunks of 1 MiB in ${seconds.toFixed(1)} s, API peak RSS ${(peak / MB).toFixed(0)} MB, statuses ${summary}`,
    );
    // Each pack: the grant question (answered "relay": the local store), then the relayed pack.
    const packs = (UPLOADERS * CHUNKS_EACH) / CHUNKS_PER_PACK;
    assert.equal(statuses.get("200"), 2 * packs + UPLOADERS, "every pack, its grant question and every dedup query answered once");
    for (const status of statuses.keys()) assert.ok(/^[1-4]\d\d$/.test(status), `saw HTTP ${status}`);
    assert.ok(peak > 0 && peak < 300 * MB, `API peak RSS ${peak / MB} MB`);
  });
});

/** datasafe_http_responses_total by status, from the server's GET /metrics. */
async function responseCounts(server: TestServer): Promise<Map<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return new Map([...text.matchAll(/^datasafe_http_responses_total\{status="([^"]+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}
