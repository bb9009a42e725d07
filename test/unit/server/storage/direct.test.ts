// Where presigned URLs point: path style for Ceph/MinIO, the bucket in the host name on AWS,
// path style again for dotted bucket names (TLS wildcard certificates cannot cover them).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { endpointFor, S3DirectTransfer } from "../../../../server/storage/direct.ts";

describe("direct transfer endpoints", () => {
  it("puts the bucket in the path or in the host name as configured", () => {
    assert.deepEqual(endpointFor("http://127.0.0.1:7480", "b1", "us-east-1", true), {
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 7480,
      prefix: "/b1/",
    });
    assert.deepEqual(endpointFor(undefined, "b1", "eu-west-3", false), {
      protocol: "https:",
      hostname: "b1.s3.eu-west-3.amazonaws.com",
      port: undefined,
      prefix: "/",
    });
    assert.deepEqual(endpointFor(undefined, "my.bucket", "eu-west-3", false), {
      protocol: "https:",
      hostname: "s3.eu-west-3.amazonaws.com",
      port: undefined,
      prefix: "/my.bucket/",
    });
  });

  it("signs URLs for the public endpoint with the size, SHA-256 and no-overwrite headers, and no secret", async () => {
    const d = new S3DirectTransfer(
      {
        endpoint: "http://10.0.0.5:9000",
        bucket: "datasafe",
        region: "us-east-1",
        accessKeyId: "AKID",
        secretAccessKey: "s3cr3t-value",
        forcePathStyle: true,
      },
      "https://s3.example.com",
    );
    try {
      const put = await d.presignPut("studios/x/chunks/ab/abcd.0011aabb", { size: 1234, sha256: Buffer.alloc(32, 1), ttlSeconds: 600 });
      const u = new URL(put.url);
      assert.equal(u.origin, "https://s3.example.com");
      assert.equal(u.pathname, "/datasafe/studios/x/chunks/ab/abcd.0011aabb");
      assert.equal(u.searchParams.get("X-Amz-Expires"), "600");
      assert.equal(u.searchParams.get("X-Amz-SignedHeaders"), "content-length;host;if-none-match;x-amz-content-sha256");
      assert.deepEqual(put.headers, { "content-length": "1234", "if-none-match": "*", "x-amz-content-sha256": "01".repeat(32) });
      assert.ok(!put.url.includes("s3cr3t-value"));
      const get = new URL(await d.presignGet("studios/x/chunks/ab/abcd.0011aabb", 60));
      assert.equal(get.searchParams.get("X-Amz-SignedHeaders"), "host");
      assert.equal(u.searchParams.get("X-Amz-Content-Sha256"), null, "a PUT's payload hash is a header the client must send");
      await assert.rejects(d.presignGet("../etc/passwd", 60));
    } finally {
      d.close();
    }
  });
});
