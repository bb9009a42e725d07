// bulkGet against a real local HTTP server: a presigned GET returns exactly its bytes or its
// range, and a body larger than allowed (announced, or streamed without a length) is refused
// rather than held in memory.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { BulkAgents, bulkGet } from "../../../../uploader/api/http-transport.ts";

const ONCE = { attempts: 1, baseMs: 1, capMs: 1 };
const body = randomBytes(64 * 1024);

describe("bulkGet", () => {
  let server: http.Server;
  let base: string;
  const agents = new BulkAgents(4);
  before(async () => {
    server = http.createServer((req, res) => {
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
      if (req.url === "/chunked") {
        res.writeHead(200); // no content-length: the body streams in pieces
        for (let i = 0; i < 4; i++) res.write(body);
        return res.end();
      }
      const part = range ? body.subarray(Number(range[1]), Number(range[2]) + 1) : body;
      res.writeHead(range ? 206 : 200, { "content-length": part.length });
      res.end(part);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    agents["http:"].destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it("returns the whole object, or exactly the range asked for", async () => {
    assert.deepEqual(await bulkGet(`${base}/obj`, ONCE, agents, { maxBytes: body.length }), body);
    const range = { offset: 1000, size: 5000 };
    assert.deepEqual(await bulkGet(`${base}/obj`, ONCE, agents, { range, maxBytes: range.size }), body.subarray(1000, 6000));
  });

  it("refuses a body announced or streamed beyond the limit", async () => {
    await assert.rejects(bulkGet(`${base}/obj`, ONCE, agents, { maxBytes: body.length - 1 }), { code: "RESPONSE_TOO_LARGE" });
    await assert.rejects(bulkGet(`${base}/chunked`, ONCE, agents, { maxBytes: 2 * body.length }), { code: "RESPONSE_TOO_LARGE" });
    // The same connection pool still serves the next request.
    assert.deepEqual(await bulkGet(`${base}/obj`, ONCE, agents, { maxBytes: body.length }), body);
  });
});
