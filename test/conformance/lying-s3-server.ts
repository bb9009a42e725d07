// A fake S3 endpoint that acknowledges every PUT but keeps different bytes, as s3rver does with
// aws-chunked bodies (measured: 300,000 bytes sent became 300,054 stored). The S3 store must
// notice through its post-put checks instead of trusting the 200.
import { createHash } from "node:crypto";
import { createServer } from "node:http";

/** "size": the stored object is 54 bytes longer; "etag": same size, different MD5. */
export async function lyingS3Server(lie: "size" | "etag"): Promise<{ endpoint: string; close: () => Promise<void> }> {
  let stored = Buffer.alloc(0);
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      if (req.method === "PUT") {
        const body = Buffer.concat(parts);
        stored = lie === "size" ? Buffer.concat([body, Buffer.alloc(54)]) : Buffer.from(body);
        if (lie === "etag") stored[0] = (body[0] ?? 0) ^ 0xff;
      }
      // "size" answers a non-MD5 ETag (as for multipart or SSE-KMS), so only the size check can
      // catch it; "etag" keeps the size, so only the MD5 comparison can.
      const etag = lie === "size" ? '"0123abcd-1"' : `"${createHash("md5").update(stored).digest("hex")}"`;
      res.writeHead(200, { ETag: etag, "Content-Length": req.method === "HEAD" ? stored.length : 0 });
      res.end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
