import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { AppError } from "../../../server/errors.ts";
import { parseChunkForm } from "../../../server/http/chunk-upload.ts";
import { MAX_CHUNK_OBJECT_BYTES } from "../../../server/http/schemas.ts";

/** A body as Node's fetch (undici) serializes FormData, and its boundary. */
async function undiciForm(parts: Array<[string, string | Buffer]>): Promise<{ body: Buffer; boundary: string }> {
  const form = new FormData();
  for (const [name, value] of parts) form.append(name, typeof value === "string" ? value : new Blob([new Uint8Array(value)]), ...(typeof value === "string" ? [] : ["chunk"]) as []);
  const req = new Request("http://x/", { method: "PUT", body: form });
  const boundary = /boundary=(.+)$/.exec(req.headers.get("content-type")!)![1]!;
  return { body: Buffer.from(await req.arrayBuffer()), boundary };
}

/** A body as the uploader writes it by hand (uploader/api/client.ts putChunk). */
function uploaderForm(data: Buffer, boundary = `datasafe-${randomBytes(12).toString("hex")}`): { body: Buffer; boundary: string } {
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="chunk"; filename="chunk"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  return { body: Buffer.concat([head, data, Buffer.from(`\r\n--${boundary}--\r\n`)]), boundary };
}

const rejects = (fn: () => unknown, status: number) => assert.throws(fn, (e: unknown) => e instanceof AppError && e.status === status);

describe("chunk upload form parsing", () => {
  it("finds the chunk's exact bytes in both clients' forms, boundary look-alikes included", async () => {
    for (const data of [randomBytes(1), randomBytes(1 << 20), Buffer.from("\r\n--datasafe-\r\n--\r\n")]) {
      const a = uploaderForm(data);
      assert.ok(parseChunkForm(a.body, a.boundary)!.equals(data));
      const b = await undiciForm([["note", "hi"], ["chunk", data]]);
      assert.ok(parseChunkForm(b.body, b.boundary)!.equals(data));
    }
    // A boundary string inside the data without its leading CRLF is data, not a delimiter.
    const boundary = "xyz";
    const data = Buffer.from("--xyz--xyz\r\n-xyz");
    assert.ok(parseChunkForm(uploaderForm(data, boundary).body, boundary)!.equals(data));
  });

  it("reports a form without a file as null, and refuses what multer was configured to refuse", async () => {
    const fieldsOnly = await undiciForm([["a", "1"]]);
    assert.equal(parseChunkForm(fieldsOnly.body, fieldsOnly.boundary), null);
    const wrongName = await undiciForm([["other", randomBytes(10)]]);
    rejects(() => parseChunkForm(wrongName.body, wrongName.boundary), 400);
    const twoFiles = await undiciForm([["chunk", randomBytes(10)], ["chunk", randomBytes(10)]]);
    rejects(() => parseChunkForm(twoFiles.body, twoFiles.boundary), 400);
    const manyParts = await undiciForm([["a", "1"], ["b", "2"], ["c", "3"], ["chunk", randomBytes(10)]]);
    rejects(() => parseChunkForm(manyParts.body, manyParts.boundary), 400);
    const longField = await undiciForm([["a", "x".repeat(257)], ["chunk", randomBytes(10)]]);
    rejects(() => parseChunkForm(longField.body, longField.boundary), 400);
    const big = uploaderForm(randomBytes(MAX_CHUNK_OBJECT_BYTES + 1));
    rejects(() => parseChunkForm(big.body, big.boundary), 413);
    const exact = uploaderForm(randomBytes(MAX_CHUNK_OBJECT_BYTES));
    assert.equal(parseChunkForm(exact.body, exact.boundary)!.length, MAX_CHUNK_OBJECT_BYTES);
  });

  it("refuses truncated or malformed bodies", () => {
    const ok = uploaderForm(randomBytes(1000));
    rejects(() => parseChunkForm(ok.body.subarray(0, ok.body.length - 20), ok.boundary), 400); // no closing delimiter
    rejects(() => parseChunkForm(ok.body, "other-boundary"), 400);
    rejects(() => parseChunkForm(Buffer.from("--b\r\nno header end"), "b"), 400);
  });
});
