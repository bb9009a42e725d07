// The uploader against a hostile HTTP server (issue 15, finding 6): whatever the server (or the
// bucket it points to) answers, the uploader never holds more than the format's largest envelope
// for a chunk, MAX_JSON_RESPONSE_BYTES for an API answer, MAX_ERROR_BODY_BYTES for an error. The
// server streams up to CAP bytes per answer and records how many it got to send before the
// uploader hung up: without the bounds the uploader read all of them.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { BulkAgents, MAX_ERROR_BODY_BYTES, MAX_JSON_RESPONSE_BYTES, getEnvelope } from "../../../../uploader/api/http-transport.ts";
import { ChunkReader } from "../../../../uploader/api/chunk-reader.ts";
import { ApiClient } from "../../../../uploader/api/client.ts";
import { MAX_CIPHERTEXT_SIZE } from "../../../../uploader/format/index.ts";

const MiB = 1024 * 1024;
/** What the hostile server sends at most per answer: far beyond every bound. */
const CAP = 96 * MiB;
/** Loopback socket buffers hold a few MiB that were "sent" but never read. */
const SLACK = 8 * MiB;
const ID = "ab".repeat(32);
const piece = Buffer.alloc(64 * 1024, 0x5b); // "[": also endless JSON nesting

interface Seen {
  requests: number;
  sent: number;
}

describe("uploader against a hostile server", () => {
  let server: http.Server;
  let base: string;
  const seen = new Map<string, Seen>();
  const agents = new BulkAgents(4);
  const api = () => new ApiClient(base, "device-token", agents);

  /** Streams CAP bytes (or until the client hangs up), recording how many were written. */
  function flood(res: http.ServerResponse, stats: Seen): void {
    let open = true;
    res.on("close", () => (open = false));
    const pump = () => {
      while (open && stats.sent < CAP) {
        stats.sent += piece.length;
        if (!res.write(piece)) return void res.once("drain", pump);
      }
      if (open) res.end();
    };
    pump();
  }

  before(async () => {
    server = http.createServer((req, res) => {
      const path = new URL(req.url!, "http://x").pathname;
      const stats = seen.get(path) ?? { requests: 0, sent: 0 };
      seen.set(path, stats);
      stats.requests++;
      if (path === "/v1/chunks/download-urls") {
        // A presigned URL with a range of 2 GiB for one chunk.
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({
            direct: true,
            ttlSeconds: 3600,
            urls: { [ID]: `${base}/bucket/pack` },
            ranges: { [ID]: { offset: 0, size: 2 ** 31 } },
          }),
        );
      }
      if (path === "/bucket/pack") {
        const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
        res.writeHead(206, { "content-length": m ? Number(m[2]) - Number(m[1]) + 1 : CAP });
        return flood(res, stats);
      }
      if (path === "/announced") res.writeHead(200, { "content-length": 3 * 1024 * MiB });
      else if (path === "/v1/restore-points/refused") res.writeHead(403, { "content-type": "application/json" });
      else res.writeHead(200, { "content-type": path.startsWith("/v1/restore-points") ? "application/json" : "application/octet-stream" });
      flood(res, stats);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    agents["http:"].destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const tooLarge = { code: "RESPONSE_TOO_LARGE" };

  it("a relayed chunk (GET /v1/chunks/:id) stops at one envelope, once, not retried", async () => {
    await assert.rejects(api().getChunk(ID), tooLarge);
    const stats = seen.get(`/v1/chunks/${ID}`)!;
    assert.equal(stats.requests, 1);
    assert.ok(stats.sent <= MAX_CIPHERTEXT_SIZE + SLACK, `the server got to send ${stats.sent} bytes`);
  });

  it("datasafe verify's chunk download has the same bound", async () => {
    // verify.ts downloads with getEnvelope, as ApiClient.getChunk does.
    await assert.rejects(getEnvelope(`${base}/v1/chunks/verify-${ID}`, {}, { attempts: 1, baseMs: 1, capMs: 1 }, agents), tooLarge);
    assert.ok(seen.get(`/v1/chunks/verify-${ID}`)!.sent <= MAX_CIPHERTEXT_SIZE + SLACK);
  });

  it("a body announced larger than allowed is refused before anything is allocated or read", async () => {
    await assert.rejects(getEnvelope(`${base}/announced`, {}, { attempts: 1, baseMs: 1, capMs: 1 }, agents), tooLarge);
    assert.ok(seen.get("/announced")!.sent <= SLACK);
  });

  it("a ranged GET larger than an envelope is never sent; the relay fallback is bounded too", async () => {
    const reader = new ChunkReader(api(), async (data) => [data]);
    reader.plan([ID]);
    await assert.rejects(reader.get(ID), tooLarge);
    assert.equal(seen.get("/v1/chunks/download-urls")!.requests, 1);
    assert.equal(seen.get("/bucket/pack"), undefined, "the 2 GiB range was asked for");
    assert.equal(reader.stats.relay, 1);
    await assert.rejects(api().getDirect(`${base}/bucket/pack`, { range: { offset: 0, size: MAX_CIPHERTEXT_SIZE + 1 } }), tooLarge);
    assert.equal(seen.get("/bucket/pack"), undefined);
  });

  it("an API answer (JSON) stops at MAX_JSON_RESPONSE_BYTES", async () => {
    await assert.rejects(api().listRestorePoints(), tooLarge);
    const stats = seen.get("/v1/restore-points")!;
    assert.equal(stats.requests, 1);
    assert.ok(stats.sent <= MAX_JSON_RESPONSE_BYTES + SLACK, `the server got to send ${stats.sent} bytes`);
  });

  it("an error's body is read only far enough to name the error", async () => {
    await assert.rejects(api().getRestorePoint("refused"), (err: unknown) => (err as { status?: number }).status === 403);
    assert.ok(seen.get("/v1/restore-points/refused")!.sent <= MAX_ERROR_BODY_BYTES + SLACK);
  });
});
