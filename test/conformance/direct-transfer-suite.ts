// The conformance suite of DirectTransfer (server/storage/direct.ts), as blobstore-suite.ts is
// BlobStore's: the rules of the interface's contract, checked from the device's side (plain HTTP
// requests to the URLs, whatever a device might send) against a real S3 server.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { after, before, describe, it } from "node:test";
import { InvalidKeyError, type BlobStore, type DirectTransfer } from "../../server/storage/index.ts";
import { INVALID_KEYS } from "./blobstore-suite.ts";

export interface DirectSubject {
  direct: DirectTransfer;
  /** The store behind the same bucket: plants and inspects objects, and removes them afterwards. */
  store: BlobStore;
  /** The credential's secret: it must never appear in a URL or header handed out. */
  secret: string;
  close?: () => Promise<void> | void;
}

interface Answer {
  status: number;
  body: Buffer;
}

/** One request exactly as given (no header added but host and, with a body, its length unless given). */
function send(method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  const u = new URL(url);
  const mod = u.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (b: Buffer) => parts.push(b));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function directTransferConformance(label: string, factory: () => Promise<DirectSubject>): void {
  describe(`DirectTransfer conformance: ${label}`, () => {
    let s: DirectSubject;
    let direct: DirectTransfer;
    const root = `conformance-direct/${randomBytes(4).toString("hex")}`;
    let n = 0;
    const fresh = () => `${root}/k${n++}`;
    const put = async (key: string, data: Buffer, ttlSeconds = 60) =>
      direct.presignPut(key, { size: data.length, sha256: sha256(data), ttlSeconds });

    before(async () => {
      s = await factory();
      direct = s.direct;
      await s.store.init();
    });
    after(async () => {
      if (!s) return;
      for await (const { key } of s.store.list(`${root}/`)) await s.store.delete(key);
      await s.close?.();
    });

    it("a PUT URL stores exactly the declared bytes under its key; head reports them", async () => {
      const key = fresh();
      const data = randomBytes(10_000);
      assert.equal(await direct.head(key), null, "nothing stored yet: null, not an error");
      const p = await put(key, data);
      assert.equal((await send("PUT", p.url, p.headers, data)).status, 200);
      assert.deepEqual(await direct.head(key), { size: data.length });
      assert.ok((await s.store.read(key)).equals(data));
    });

    it("a PUT URL refuses other bytes of the declared size, and more or fewer bytes", async () => {
      const key = fresh();
      const data = randomBytes(10_000);
      const p = await put(key, data);
      const other = await send("PUT", p.url, p.headers, randomBytes(data.length));
      assert.ok(other.status >= 400 && other.status < 500, `other bytes: ${other.status}`);
      const longer = await send(
        "PUT",
        p.url,
        { ...p.headers, "content-length": String(data.length + 1) },
        Buffer.concat([data, Buffer.from("x")]),
      );
      assert.ok(longer.status >= 400 && longer.status < 500, `a longer body: ${longer.status}`);
      const shorter = await send("PUT", p.url, { ...p.headers, "content-length": String(data.length - 1) }, data.subarray(1));
      assert.ok(shorter.status >= 400 && shorter.status < 500, `a shorter body: ${shorter.status}`);
      assert.equal(await direct.head(key), null, "nothing was stored");
    });

    it("a PUT without one of the given headers is refused (they are signed)", async () => {
      const data = randomBytes(1000);
      const p = await put(fresh(), data);
      for (const name of Object.keys(p.headers)) {
        if (name === "content-length") continue; // the request has one whatever the device does
        const { [name]: _dropped, ...rest } = p.headers;
        const r = await send("PUT", p.url, rest, data);
        assert.ok(r.status >= 400 && r.status < 500, `without ${name}: ${r.status}`);
      }
    });

    it("a PUT never replaces a stored object, not even with the same bytes or by its own URL", async () => {
      const key = fresh();
      const data = randomBytes(5000);
      const p = await put(key, data);
      assert.equal((await send("PUT", p.url, p.headers, data)).status, 200);
      assert.equal((await send("PUT", p.url, p.headers, data)).status, 412, "the same URL again");
      const planted = fresh();
      await s.store.put(planted, Buffer.from("first"));
      const other = Buffer.from("other");
      const q = await put(planted, other);
      assert.equal((await send("PUT", q.url, q.headers, other)).status, 412, "a key the server stored");
      assert.equal((await s.store.read(planted)).toString(), "first");
    });

    it("a GET URL reads its object whole or by range, and nothing else", async () => {
      const key = fresh();
      const data = randomBytes(100_000);
      await s.store.put(key, data);
      const url = await direct.presignGet(key, 60);
      const whole = await send("GET", url, {});
      assert.equal(whole.status, 200);
      assert.ok(whole.body.equals(data));
      const range = await send("GET", url, { range: "bytes=1000-1999" });
      assert.equal(range.status, 206);
      assert.ok(range.body.equals(data.subarray(1000, 2000)));

      const absent = await send("GET", await direct.presignGet(fresh(), 60), {});
      assert.equal(absent.status, 404, "nothing stored yet");
      const other = fresh();
      await s.store.put(other, Buffer.from("not yours"));
      const moved = new URL(url);
      moved.pathname = moved.pathname.replace(key, other);
      assert.equal((await send("GET", moved.toString(), {})).status, 403, "the signature covers the key");
    });

    it("URLs stop working after their time to live", async () => {
      const key = fresh();
      const data = randomBytes(1000);
      await s.store.put(key, data);
      const get = await direct.presignGet(key, 1);
      const p = await put(fresh(), data, 1);
      await sleep(2500);
      assert.equal((await send("GET", get, {})).status, 403, "expired GET");
      assert.equal((await send("PUT", p.url, p.headers, data)).status, 403, "expired PUT");
    });

    it("hands out no credential: URLs and headers hold no secret", async () => {
      const p = await put(fresh(), Buffer.from("x"));
      const get = await direct.presignGet(fresh(), 60);
      for (const text of [p.url, JSON.stringify(p.headers), get]) assert.ok(!text.includes(s.secret), `no secret in ${text}`);
    });

    it("rejects invalid keys before signing anything", async () => {
      for (const key of INVALID_KEYS) {
        await assert.rejects(
          direct.presignPut(key, { size: 1, sha256: sha256(Buffer.from("x")), ttlSeconds: 60 }),
          InvalidKeyError,
          `put ${JSON.stringify(key)}`,
        );
        await assert.rejects(direct.presignGet(key, 60), InvalidKeyError, `get ${JSON.stringify(key)}`);
        await assert.rejects(direct.head(key), InvalidKeyError, `head ${JSON.stringify(key)}`);
      }
    });
  });
}
