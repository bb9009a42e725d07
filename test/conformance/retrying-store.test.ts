// RetryingStore's policy, with faults injected into a real local store (kopia's fault injector):
// transient errors retried a bounded number of times, permanent ones never, and a put whose
// first attempt landed despite failing is not turned into a BlobExistsError by its retry.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  BlobExistsError,
  BlobNotFoundError,
  LocalBlobStore,
  RetryingStore,
  StorageUnavailableError,
  type BlobStore,
  type RetryInfo,
} from "../../server/storage/index.ts";

/** Delegates to `inner`, failing the next `failures` calls of `op` (after running them when `land`). */
function faulty(inner: BlobStore, op: "put" | "read" | "readRange" | "list", failures: number, land = false): BlobStore {
  let left = failures;
  const fail = () => new StorageUnavailableError(`injected ${op} failure`);
  return {
    name: "faulty",
    init: () => inner.init(),
    ping: () => inner.ping(),
    async put(key, data) {
      if (op === "put" && left > 0) {
        left--;
        if (land) await inner.put(key, data);
        throw fail();
      }
      return inner.put(key, data);
    },
    get: (key) => inner.get(key),
    async read(key) {
      if (op === "read" && left > 0) {
        left--;
        throw fail();
      }
      return inner.read(key);
    },
    async readRange(key, offset, length) {
      if (op === "readRange" && left > 0) {
        left--;
        throw fail();
      }
      return inner.readRange(key, offset, length);
    },
    stat: (key) => inner.stat(key),
    delete: (key) => inner.delete(key),
    async *list(prefix) {
      let n = 0;
      for await (const e of inner.list(prefix)) {
        if (op === "list" && left > 0 && n++ === 2) {
          left--;
          throw fail();
        }
        yield e;
      }
    },
  };
}

describe("RetryingStore", () => {
  let dir: string;
  let local: LocalBlobStore;
  let retries: RetryInfo[];
  const wrap = (inner: BlobStore, attempts = 4) => new RetryingStore(inner, { attempts, baseDelayMs: 1, onRetry: (r) => retries.push(r) });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "datasafe-retry-"));
    local = new LocalBlobStore(dir);
    await local.init();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("retries transient errors until success", async () => {
    retries = [];
    await local.put("r/ok", Buffer.from("hi"));
    assert.equal((await wrap(faulty(local, "read", 2)).read("r/ok")).toString(), "hi");
    assert.deepEqual(
      retries.map((r) => r.attempt),
      [1, 2],
    );
  });

  it("retries readRange like read; rejects bad arguments with RangeError, unretried", async () => {
    retries = [];
    await local.put("r/pack", Buffer.from("0123456789"));
    assert.equal((await wrap(faulty(local, "readRange", 2)).readRange("r/pack", 3, 4)).toString(), "3456");
    assert.deepEqual(
      retries.map((r) => [r.op, r.attempt]),
      [
        ["readRange", 1],
        ["readRange", 2],
      ],
    );
    retries = [];
    await assert.rejects(wrap(faulty(local, "readRange", 10), 3).readRange("r/pack", 0, 1), StorageUnavailableError);
    assert.equal(retries.length, 2);
    retries = [];
    const once = faulty(local, "readRange", 1);
    await assert.rejects(wrap(once).readRange("r/pack", -1, 4), RangeError);
    await assert.rejects(wrap(once).readRange("r/pack", 0, 0), RangeError);
    assert.equal(retries.length, 0);
    await assert.rejects(once.readRange("r/pack", 0, 2), StorageUnavailableError, "bad arguments never reached the inner store");
  });

  it("gives up after the bounded number of attempts", async () => {
    retries = [];
    await assert.rejects(wrap(faulty(local, "read", 10), 3).read("r/ok"), StorageUnavailableError);
    assert.equal(retries.length, 2);
    assert.ok(
      retries.every((r) => r.delayMs >= 0 && r.delayMs <= 4),
      "full jitter within the cap",
    );
  });

  it("never retries permanent errors", async () => {
    retries = [];
    await assert.rejects(wrap(local).read("r/absent"), BlobNotFoundError);
    await assert.rejects(wrap(local).readRange("r/absent", 0, 1), BlobNotFoundError);
    await local.put("r/taken", Buffer.from("a"));
    await assert.rejects(wrap(local).put("r/taken", Buffer.from("b")), BlobExistsError);
    assert.equal(retries.length, 0);
  });

  it("a put that landed before failing succeeds on retry (same bytes only)", async () => {
    retries = [];
    await wrap(faulty(local, "put", 1, true)).put("r/landed", Buffer.from("same"));
    assert.equal(retries.length, 1);
    assert.equal((await local.read("r/landed")).toString(), "same");
    // Someone else's blob under the key is still a conflict.
    await local.put("r/other", Buffer.from("theirs"));
    await assert.rejects(wrap(faulty(local, "put", 1)).put("r/other", Buffer.from("mine")), BlobExistsError);
  });

  it("resumes a failed listing without repeating entries", async () => {
    retries = [];
    for (let i = 0; i < 6; i++) await local.put(`l/${i}`, Buffer.from("x"));
    const keys: string[] = [];
    for await (const e of wrap(faulty(local, "list", 1)).list("l/")) keys.push(e.key);
    assert.deepEqual(keys.sort(), ["l/0", "l/1", "l/2", "l/3", "l/4", "l/5"]);
    assert.equal(retries.length, 1);
  });
});
