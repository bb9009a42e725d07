// ChunkReader's batching and fallbacks, against a scripted stand-in for the API client (the real
// server and bucket are exercised by test/e2e/direct-transfer.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DownloadUrls } from "../../../../protocol/schemas.ts";
import { ChunkReader, type ChunkSource, type Opener } from "../../../../uploader/api/chunk-reader.ts";
import { CliError } from "../../../../uploader/errors.ts";
import { FormatError } from "../../../../uploader/format/index.ts";
import { orderedPrefetch } from "../../../../uploader/restore/prefetch.ts";

/** Hands the envelopes back as they were downloaded (opening is CryptoPool's, tested there). */
const asIs: Opener = async (data, parts) => parts.map((p) => data.subarray(p.offset, p.offset + p.size));

const ids = (n: number) => Array.from({ length: n }, (_, i) => i.toString(16).padStart(64, "0"));

function fakeApi(o: { direct?: boolean; failDirect?: (url: string) => Error | null; ttlSeconds?: number } = {}) {
  const calls = { urlRequests: [] as number[], direct: 0, relay: 0 };
  const api: ChunkSource = {
    async downloadUrls(wanted: string[]): Promise<DownloadUrls> {
      calls.urlRequests.push(wanted.length);
      const urls = o.direct === false ? {} : Object.fromEntries(wanted.map((id) => [id, `http://bucket/${id}`]));
      return { direct: o.direct !== false, ttlSeconds: o.ttlSeconds ?? 3600, urls };
    },
    async getDirect(url: string): Promise<Buffer> {
      const err = o.failDirect?.(url);
      if (err) throw err;
      calls.direct++;
      return Buffer.from(url.slice("http://bucket/".length));
    },
    async getChunk(id: string): Promise<Buffer> {
      calls.relay++;
      return Buffer.from(id);
    },
  };
  return { api, calls };
}

async function readAll(reader: ChunkReader, order: string[]): Promise<string[]> {
  reader.plan(order);
  const p = orderedPrefetch(order, (id) => reader.get(id), { parallel: 8 });
  const out: string[] = [];
  for (let i = 0; i < order.length; i++) out.push((await p.next()).toString());
  return out;
}

describe("ChunkReader", () => {
  it("asks for URLs once per 256 planned chunks and reads every chunk straight from the bucket", async () => {
    const { api, calls } = fakeApi();
    const order = ids(600);
    assert.deepEqual(await readAll(new ChunkReader(api, asIs), order), order);
    assert.deepEqual(calls.urlRequests, [256, 256, 88]);
    assert.equal(calls.direct, 600);
    assert.equal(calls.relay, 0);
  });

  it("reads through the API, after one question, when the server does no direct transfer", async () => {
    const { api, calls } = fakeApi({ direct: false });
    const order = ids(300);
    assert.deepEqual(await readAll(new ChunkReader(api, asIs), order), order);
    assert.equal(calls.urlRequests.length, 1);
    assert.equal(calls.relay, 300);
  });

  it("falls back to the API for good once the bucket is unreachable, and per chunk on other failures", async () => {
    const unreachable = fakeApi({ failDirect: () => new CliError("SERVER_UNREACHABLE", "no route") });
    const order = ids(50);
    assert.deepEqual(await readAll(new ChunkReader(unreachable.api, asIs), order), order);
    assert.equal(unreachable.calls.direct, 0);
    assert.equal(unreachable.calls.relay, 50);
    assert.equal(unreachable.calls.urlRequests.length, 1, "no more URL requests once the bucket is known unreachable");

    const expired = fakeApi({ failDirect: (url) => (url.endsWith("7") ? new Error("403 expired") : null) });
    assert.deepEqual(await readAll(new ChunkReader(expired.api, asIs), order), order);
    assert.equal(expired.calls.relay, order.filter((id) => id.endsWith("7")).length);
    assert.equal(expired.calls.direct + expired.calls.relay, 50);
  });

  it("asks again for URLs past half their life: a long restore never hands the bucket an expired one", async () => {
    // Presigned URLs live DIRECT_URL_TTL_SECONDS (600 s by default); here 40 ms, so URLs fetched
    // ahead go stale while earlier chunks are read and must be asked for again, not used.
    const { api, calls } = fakeApi({ ttlSeconds: 0.04 });
    const reader = new ChunkReader(api, asIs);
    const order = ids(6);
    reader.plan(order);
    for (const id of order) {
      assert.equal((await reader.get(id)).toString(), id);
      await new Promise((r) => setTimeout(r, 30)); // a slow download
    }
    assert.equal(calls.direct, 6, "every chunk straight from the bucket");
    assert.ok(calls.urlRequests.length >= 6, `a fresh URL for each chunk once the batch went stale (${calls.urlRequests.join(",")})`);
  });

  it("reads unplanned chunks (the manifest) one URL request each", async () => {
    const { api, calls } = fakeApi();
    const reader = new ChunkReader(api, asIs);
    const [a, b] = ids(2);
    assert.equal((await reader.get(a!)).toString(), a);
    assert.equal((await reader.get(b!)).toString(), b);
    assert.deepEqual(calls.urlRequests, [1, 1]);
  });

  it("reads neighbouring chunks of a pack with one ranged GET, and falls back per chunk when it fails", async () => {
    // 20 chunks in packs of 5; chunk i is its id's 64 bytes at offset (i % 5) * 64 of pack i / 5.
    const all = ids(20);
    const packOf = (id: string) => Math.floor(all.indexOf(id) / 5);
    const gets: Array<{ url: string; offset: number; size: number }> = [];
    let failPack: number | null = null;
    let relay = 0;
    const api = {
      async downloadUrls(wanted: string[]): Promise<DownloadUrls> {
        const urls = Object.fromEntries(wanted.map((id) => [id, `http://bucket/pack-${packOf(id)}`]));
        const ranges = Object.fromEntries(wanted.map((id) => [id, { offset: (all.indexOf(id) % 5) * 64, size: 64 }]));
        return { direct: true, ttlSeconds: 3600, urls, ranges };
      },
      async getDirect(url: string, { range }: { range?: { offset: number; size: number } } = {}): Promise<Buffer> {
        assert.ok(range, "packed chunks are read by range");
        const p = Number(url.slice("http://bucket/pack-".length));
        if (p === failPack) throw new Error("503");
        gets.push({ url, ...range });
        return Buffer.from(all.slice(p * 5, p * 5 + 5).join("")).subarray(range.offset, range.offset + range.size);
      },
      async getChunk(id: string): Promise<Buffer> {
        relay++;
        return Buffer.from(id);
      },
    } satisfies ChunkSource;

    assert.deepEqual(await readAll(new ChunkReader(api, asIs), all), all);
    assert.deepEqual(
      gets.map((g) => [g.url, g.offset, g.size]),
      [0, 1, 2, 3].map((p) => [`http://bucket/pack-${p}`, 0, 320]),
      "one GET per pack",
    );

    // Out of pack order, a repeat, and a pack whose GET fails: still every chunk, right.
    gets.length = 0;
    failPack = 2;
    const order = [all[3]!, all[4]!, all[0]!, all[1]!, all[1]!, ...all.slice(10, 15), all[5]!];
    assert.deepEqual(await readAll(new ChunkReader(api, asIs), order), order);
    assert.deepEqual(
      gets.map((g) => [g.offset, g.size]),
      [
        [192, 128],
        [0, 128],
        [0, 64],
      ],
      "runs of neighbours only (the repeat shares its read)",
    );
    assert.equal(relay, 5, "the failed pack's chunks through the API");

    // Each download is opened whole; one that does not open is read again through the API, chunk by chunk.
    failPack = -1;
    relay = 0;
    const opened: number[] = [];
    const bad = all[7]!;
    const picky: Opener = async (data, parts) => {
      opened.push(parts.length);
      if (parts.length > 1 && parts.some((p) => p.hex === bad)) throw new FormatError("AUTH_FAILED");
      return asIs(data, parts);
    };
    assert.deepEqual(await readAll(new ChunkReader(api, picky), all), all);
    assert.deepEqual([...opened].sort(), [1, 1, 1, 1, 1, 5, 5, 5, 5], "four packs whole, then pack 1's five chunks one by one");
    assert.equal(relay, 5);
  });
});
