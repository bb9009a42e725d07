import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { PassThrough, type Readable } from "node:stream";
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { type BlobStore, validateKey, validatePrefix, validateRange } from "./blob-store.ts";
import { BlobNotFoundError, IntegrityError, StorageUnavailableError } from "./errors.ts";
import { translateError } from "./s3-errors.ts";
import { S3ObjectLock } from "./s3-lock.ts";

export interface S3Config {
  /** Omit for AWS; e.g. "http://127.0.0.1:7480" for Ceph RGW or MinIO. */
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** true for Ceph/MinIO without wildcard DNS ("endpoint/bucket/key" URLs). */
  forcePathStyle: boolean;
  /**
   * Trap: the SDK default "WHEN_SUPPORTED" sends streamed bodies aws-chunked with a
   * checksum trailer, which Ceph RGW 16 rejects (MissingContentLength) and s3rver stores
   * framing and all. "WHEN_REQUIRED" (our default) sends plain bodies; we send Content-MD5.
   */
  requestChecksumCalculation?: "WHEN_REQUIRED" | "WHEN_SUPPORTED";
  /** Bounded socket pool: excess requests queue in the agent instead of exhausting the server. */
  maxSockets?: number;
  connectionTimeoutMs?: number;
  /** Socket inactivity limit per request. */
  requestTimeoutMs?: number;
  /** Object Lock mode (s3-lock.ts): GOVERNANCE retention of this many days on every object; 0 or absent: off. */
  objectLockDays?: number;
}

// A single-part PUT's ETag is the hex MD5 of the body on AWS, Ceph and MinIO; with SSE-KMS or
// multipart it is something else, which we then cannot use as a checksum.
const MD5_ETAG = /^"?([0-9a-f]{32})"?$/;
// A 206 answer's Content-Range: "bytes first-last/size" (size "*" when unknown).
const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

export class S3BlobStore implements BlobStore {
  readonly name = "s3";
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #region: string;
  readonly #lock: S3ObjectLock | null;

  constructor(cfg: S3Config) {
    const agent = { keepAlive: true, maxSockets: cfg.maxSockets ?? 64 };
    this.#bucket = cfg.bucket;
    this.#region = cfg.region;
    this.#client = new S3Client({
      endpoint: cfg.endpoint,
      region: cfg.region,
      forcePathStyle: cfg.forcePathStyle,
      credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
      requestChecksumCalculation: cfg.requestChecksumCalculation ?? "WHEN_REQUIRED",
      // Retrying is RetryingStore's job, decided by our error classes; SDK retries underneath
      // would multiply attempts and hide auth failures behind backoff.
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: cfg.connectionTimeoutMs ?? 5_000,
        requestTimeout: cfg.requestTimeoutMs ?? 60_000,
        httpAgent: new http.Agent(agent),
        httpsAgent: new https.Agent(agent),
      },
    });
    this.#lock = cfg.objectLockDays ? new S3ObjectLock(this.#client, this.#bucket, cfg.objectLockDays) : null;
  }

  async init(): Promise<void> {
    // HEAD first: production credentials may lack s3:CreateBucket on a pre-provisioned bucket.
    if (await this.#bucketExists()) return this.#lock?.checkBucket();
    const Bucket = this.#bucket;
    // AWS rejects an explicit "us-east-1" location constraint; other regions need one.
    const CreateBucketConfiguration =
      this.#region === "us-east-1" ? undefined : { LocationConstraint: this.#region as BucketLocationConstraint };
    try {
      // Object Lock can only be enabled here, at creation (and makes the bucket versioned).
      await this.#client.send(
        new CreateBucketCommand({ Bucket, CreateBucketConfiguration, ...(this.#lock ? { ObjectLockEnabledForBucket: true } : {}) }),
      );
    } catch (e) {
      if ((e as { name?: string }).name === "BucketAlreadyOwnedByYou") return; // lost a race with ourselves
      throw translateError(e, `bucket ${Bucket}`);
    }
  }

  async ping(): Promise<void> {
    if (!(await this.#bucketExists())) throw new StorageUnavailableError(`s3 bucket ${this.#bucket} does not exist`);
  }

  async put(key: string, data: Buffer): Promise<void> {
    validateKey(key);
    const md5 = createHash("md5").update(data).digest();
    try {
      const out = await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: data,
          ContentLength: data.length,
          // The server recomputes it and refuses the body on mismatch (BadDigest).
          ContentMD5: md5.toString("base64"),
          // "MUST not overwrite": honoured by AWS (since 2024), MinIO and Ceph RGW 16 (answers
          // 412 PreconditionFailed, checked by the conformance suite). Servers that ignore it
          // overwrite, which the server-chosen unique keys make harmless.
          IfNoneMatch: "*",
          ...this.#lock?.putFields(),
        }),
      );
      checkEtag(key, out.ETag, md5);
      // Trust but verify what was stored: a proxy or a server that keeps the aws-chunked
      // framing answers 200 to the PUT and stores different bytes.
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      if (head.ContentLength !== data.length) {
        throw new IntegrityError(key, `stored ${head.ContentLength} bytes, sent ${data.length}`);
      }
      checkEtag(key, head.ETag, md5);
    } catch (e) {
      if (e instanceof BlobNotFoundError) throw new IntegrityError(key, "not visible right after put", { cause: e });
      throw translateError(e, key);
    }
  }

  async get(key: string): Promise<Readable> {
    validateKey(key);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      const body = out.Body as Readable;
      // Errors after the headers (reset, timeout) must arrive as our errors too.
      const pass = new PassThrough();
      body.on("error", (e) => pass.destroy(translateError(e, key)));
      pass.on("close", () => body.destroy());
      return body.pipe(pass);
    } catch (e) {
      throw translateError(e, key);
    }
  }

  async read(key: string): Promise<Buffer> {
    validateKey(key);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      const bytes = await out.Body!.transformToByteArray();
      if (out.ContentLength !== undefined && bytes.length !== out.ContentLength) {
        throw new IntegrityError(key, `read ${bytes.length} bytes, expected ${out.ContentLength}`);
      }
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (e) {
      throw translateError(e, key);
    }
  }

  async readRange(key: string, offset: number, length: number): Promise<Buffer> {
    validateRange(offset, length);
    validateKey(key);
    try {
      const out = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Range: `bytes=${offset}-${offset + length - 1}`,
        }),
      );
      const bytes = await out.Body!.transformToByteArray();
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (out.ContentLength !== undefined && buf.length !== out.ContentLength) {
        throw new IntegrityError(key, `read ${buf.length} bytes, expected ${out.ContentLength}`);
      }
      // 200 with the whole object: a server or proxy may ignore Range (RFC 9110 allows it).
      if (out.ContentRange === undefined) return Buffer.from(buf.subarray(offset, offset + length));
      // 206: exactly the bytes asked for, cut short only where the object ends.
      const m = CONTENT_RANGE.exec(out.ContentRange);
      const size = m?.[3] === "*" ? undefined : Number(m?.[3]);
      const expected = size === undefined ? undefined : Math.min(length, size - offset);
      if (
        !m ||
        Number(m[1]) !== offset ||
        Number(m[2]) - offset + 1 !== buf.length ||
        buf.length > length ||
        (expected !== undefined && buf.length !== expected)
      ) {
        throw new IntegrityError(key, `asked for ${length} bytes at ${offset}, got ${buf.length} as ${out.ContentRange}`);
      }
      return buf;
    } catch (e) {
      // 416 InvalidRange: the object ends at or before `offset` (AWS also answers it for any
      // range of an empty object).
      const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
      if ((err.Code ?? err.name) === "InvalidRange" || err.$metadata?.httpStatusCode === 416) return Buffer.alloc(0);
      throw translateError(e, key);
    }
  }

  async stat(key: string): Promise<{ size: number } | null> {
    validateKey(key);
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { size: head.ContentLength ?? 0 };
    } catch (e) {
      const err = translateError(e, key);
      if (err instanceof BlobNotFoundError) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    if (this.#lock) return this.#lock.delete(key); // every version, or BlobLockedError
    try {
      // S3 answers 204 for absent keys too: deletion is idempotent by protocol.
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (e) {
      const err = translateError(e, key);
      if (!(err instanceof BlobNotFoundError)) throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    validatePrefix(prefix);
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: prefix,
            ContinuationToken,
            MaxKeys: 1000,
          }),
        );
      } catch (e) {
        throw translateError(e, prefix);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) yield { key: o.Key, size: o.Size ?? 0 };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** Closes idle sockets so that a process (or a test) can exit promptly. */
  close(): void {
    this.#client.destroy();
  }

  async #bucketExists(): Promise<boolean> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
      return true;
    } catch (e) {
      const err = translateError(e, `bucket ${this.#bucket}`);
      if (err instanceof BlobNotFoundError) return false;
      throw err;
    }
  }
}

function checkEtag(key: string, etag: string | undefined, md5: Buffer): void {
  const hex = etag === undefined ? undefined : MD5_ETAG.exec(etag)?.[1];
  if (hex !== undefined && hex !== md5.toString("hex")) {
    throw new IntegrityError(key, `ETag ${etag} is not the MD5 of the bytes sent`);
  }
}
