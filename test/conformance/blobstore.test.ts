// Runs the BlobStore conformance suite against every implementation and wrapper, then the
// failure modes that only a real backend shows. S3 runs against the server in S3_* (normally
// Ceph RGW from test/support/ceph-rgw.sh); without one it skips loudly, or fails under CI=true.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import {
  createBlobStore,
  IntegrityError,
  LocalBlobStore,
  RetryingStore,
  S3BlobStore,
  StorageAuthError,
  StorageError,
  StorageUnavailableError,
  type RetryInfo,
  type S3Config,
} from "../../server/storage/index.ts";
import { requireS3OrSkip, s3ConfigFromEnv, uniqueBucket } from "../support/s3.ts";
import { freePort } from "../support/server.ts";
import { blobStoreConformance } from "./blobstore-suite.ts";
import { lyingS3Server } from "./lying-s3-server.ts";

const tempDirs: string[] = [];
after(() => Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), "datasafe-blobstore-"));
  tempDirs.push(d);
  return d;
}

blobStoreConformance(
  "local",
  async () => ({
    store: new LocalBlobStore(await tempDir()),
    refusesOverwrite: true,
    manyKeys: 30,
  }),
  { streams: true },
);
blobStoreConformance(
  "local via createBlobStore (retrying)",
  async () => ({
    store: createBlobStore({ kind: "local", dir: await tempDir() }),
    refusesOverwrite: true,
    manyKeys: 30,
  }),
  { streams: true },
);

const s3 = s3ConfigFromEnv(uniqueBucket("conformance"));
if (s3) {
  // Ceph RGW 16 answers 412 to If-None-Match: "*" (checked when this suite was written); a
  // server that ignores the header would fail the overwrite test: set S3_NO_CONDITIONAL_PUT=1.
  const refusesOverwrite = process.env.S3_NO_CONDITIONAL_PUT !== "1";
  const direct = new S3BlobStore(s3);
  blobStoreConformance("s3", async () => ({ store: direct, refusesOverwrite, manyKeys: 1100 }));
  const wrapped = new S3BlobStore(s3);
  blobStoreConformance("s3 via RetryingStore", async () => ({
    store: new RetryingStore(wrapped),
    refusesOverwrite,
    manyKeys: 30,
    close: () => wrapped.close(),
  }));
  after(() => direct.close());
} else {
  describe("BlobStore conformance: s3", () => {
    it("needs an S3 server", (t) => void requireS3OrSkip(t));
  });
}

/** A retrying store over S3 that records every retry instead of waiting long. */
function counted(cfg: S3Config): { store: RetryingStore; retries: RetryInfo[]; close: () => void } {
  const inner = new S3BlobStore({ ...cfg, connectionTimeoutMs: 1000, requestTimeoutMs: 2000 });
  const retries: RetryInfo[] = [];
  const store = new RetryingStore(inner, { attempts: 4, baseDelayMs: 5, onRetry: (r) => retries.push(r) });
  return { store, retries, close: () => inner.close() };
}

describe("local store temp files", () => {
  it("leaves no temp file behind a put or putStream that failed", async () => {
    const dir = await tempDir();
    const store = new LocalBlobStore(dir);
    await store.init();
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(2 * 1024 * 1024);
      throw new Error("the client went away");
    }
    await assert.rejects(store.putStream("a/failed", failing(), 3 * 1024 * 1024), /client went away/);
    await assert.rejects(store.putStream("a/short", failing(), 1024), IntegrityError);
    await store.put("a/once", Buffer.from("x"));
    await assert.rejects(store.put("a/once", Buffer.from("y")));
    await assert.rejects(store.putStream("a/once", failing(), 2 * 1024 * 1024));
    const files = (await readdir(dir, { recursive: true })).map(String);
    assert.deepEqual(files.sort(), ["a", path.join("a", "once")], "only the blob and its directory");
  });
});

describe("S3 store failure modes", () => {
  it("wrong secret → StorageAuthError, not retried", async (t) => {
    const cfg = requireS3OrSkip(t, uniqueBucket("conformance"));
    if (!cfg) return;
    await new S3BlobStore(cfg).init();
    const { store, retries, close } = counted({ ...cfg, secretAccessKey: "wrong-secret" });
    try {
      await assert.rejects(store.put("auth/x", Buffer.from("x")), StorageAuthError);
      await assert.rejects(store.read("auth/x"), StorageAuthError);
      await assert.rejects(store.stat("auth/x"), StorageAuthError); // HEAD: a bare 403, no code
      await assert.rejects(store.ping(), StorageAuthError);
      assert.equal(retries.length, 0, "permanent errors get exactly one attempt");
    } finally {
      close();
    }
  });

  it("unreachable endpoint → StorageUnavailableError after the bounded retries", async () => {
    const cfg: S3Config = {
      // Nothing listens on a port just freed: connections are refused.
      endpoint: `http://127.0.0.1:${await freePort()}`,
      bucket: "nowhere",
      region: "us-east-1",
      accessKeyId: "k",
      secretAccessKey: "s",
      forcePathStyle: true,
    };
    const { store, retries, close } = counted(cfg);
    try {
      await assert.rejects(store.read("a/b"), StorageUnavailableError);
      assert.equal(retries.length, 3, "4 attempts = 3 retries");
      assert.ok(retries.every((r) => r.error instanceof StorageUnavailableError && r.op === "read"));
      await assert.rejects(store.ping(), StorageUnavailableError);
    } finally {
      close();
    }
  });

  it("WHEN_SUPPORTED checksums: stores exactly the bytes sent or fails loudly (the aws-chunked trap)", async (t) => {
    const cfg = requireS3OrSkip(t, uniqueBucket("conformance"));
    if (!cfg) return;
    const store = new S3BlobStore({ ...cfg, requestChecksumCalculation: "WHEN_SUPPORTED" });
    try {
      await store.init();
      const key = `trap/${Date.now()}`;
      const data = Buffer.alloc(300_000, 7);
      const failure = await store.put(key, data).then(
        () => null,
        (e: unknown) => e,
      );
      if (failure === null) assert.ok((await store.read(key)).equals(data), "same bytes, not aws-chunked framing");
      else assert.ok(failure instanceof StorageError, `fails with our error: ${String(failure)}`);
    } finally {
      store.close();
    }
  });

  it("a server that stores different bytes than sent → IntegrityError (s3rver-style framing)", async () => {
    for (const lie of ["size", "etag"] as const) {
      const server = await lyingS3Server(lie);
      const store = new S3BlobStore({
        endpoint: server.endpoint,
        bucket: "b",
        region: "us-east-1",
        accessKeyId: "k",
        secretAccessKey: "s",
        forcePathStyle: true,
      });
      try {
        await assert.rejects(store.put("x/y", Buffer.alloc(300_000, 1)), IntegrityError, `lie: ${lie}`);
      } finally {
        store.close();
        await server.close();
      }
    }
  });
});
