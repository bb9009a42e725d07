// Runs the DirectTransfer conformance suite against the S3 server in S3_* (normally Ceph RGW from
// test/support/ceph-rgw.sh), then head()'s failure modes; without an S3 server it skips loudly,
// or fails under CI=true.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { S3DirectTransfer } from "../../server/storage/direct.ts";
import { S3BlobStore, StorageAuthError, StorageUnavailableError, type S3Config } from "../../server/storage/index.ts";
import { requireS3OrSkip, s3ConfigFromEnv, uniqueBucket } from "../support/s3.ts";
import { freePort } from "../support/server.ts";
import { directTransferConformance } from "./direct-transfer-suite.ts";

const s3 = s3ConfigFromEnv(uniqueBucket("direct"));
if (s3) {
  directTransferConformance("s3", async () => {
    const direct = new S3DirectTransfer(s3);
    const store = new S3BlobStore(s3);
    return { direct, store, secret: s3.secretAccessKey, close: () => (direct.close(), store.close()) };
  });
} else {
  describe("DirectTransfer conformance: s3", () => {
    it("needs an S3 server", (t) => void requireS3OrSkip(t));
  });
}

describe("DirectTransfer head failure modes", () => {
  it("credentials the server refuses → StorageAuthError", async (t) => {
    const cfg = requireS3OrSkip(t, uniqueBucket("direct"));
    if (!cfg) return;
    const store = new S3BlobStore(cfg);
    const direct = new S3DirectTransfer({ ...cfg, secretAccessKey: "wrong-secret" });
    try {
      await store.init();
      await assert.rejects(direct.head("some/key"), StorageAuthError);
    } finally {
      direct.close();
      store.close();
    }
  });

  it("an unreachable endpoint → StorageUnavailableError", async () => {
    const cfg: S3Config = {
      endpoint: `http://127.0.0.1:${await freePort()}`,
      bucket: "nowhere",
      region: "us-east-1",
      accessKeyId: "k",
      secretAccessKey: "s",
      forcePathStyle: true,
    };
    const direct = new S3DirectTransfer(cfg); // nothing listens on a port just freed
    try {
      await assert.rejects(direct.head("some/key"), StorageUnavailableError);
    } finally {
      direct.close();
    }
  });
});
