// Direct transfer: uploaders PUT chunk objects to, and restores GET them from, the S3 server
// itself through short-lived presigned URLs, so the API handles metadata only (restic and Kopia
// talk to the bucket directly; a relay through the API halves a two-core machine's throughput).
//
// Contract (what the signature makes S3 enforce, checked against Ceph RGW by
// test/conformance/direct-transfer.test.ts):
//   - a PUT URL is for one server-chosen key, exactly `size` bytes with MD5 `md5`, and only if the
//     key is absent (If-None-Match: *): a client cannot store more than it declared, store bytes
//     that differ from what it declared, or overwrite anything, even its own upload;
//   - a GET URL reads one object;
//   - both expire after `ttlSeconds`.
// The client never sees credentials; URLs are bearer capabilities for one object each.
import http from "node:http";
import https from "node:https";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { validateKey } from "./blob-store.ts";
import { BlobNotFoundError } from "./errors.ts";
import { translateError } from "./s3-errors.ts";
import type { S3Config } from "./s3-store.ts";

export interface PresignedPut {
  url: string;
  /** Headers the client MUST send as given (they are part of the signature). */
  headers: Record<string, string>;
}

export interface StoredObject {
  size: number;
  /** Hex MD5 from a single-part PUT's ETag, when the server reports one. */
  md5: string | null;
}

export interface DirectTransfer {
  presignPut(key: string, o: { size: number; md5: Buffer; ttlSeconds: number }): Promise<PresignedPut>;
  presignGet(key: string, ttlSeconds: number): Promise<string>;
  /** What is stored under `key`, or null if nothing is (yet). */
  head(key: string): Promise<StoredObject | null>;
}

const MD5_ETAG = /^"?([0-9a-f]{32})"?$/;

export class S3DirectTransfer implements DirectTransfer {
  /** Signs URLs for the endpoint clients reach (no network use). */
  readonly #signer: S3Client;
  /** Talks to the endpoint the server reaches. */
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(cfg: S3Config, publicEndpoint?: string) {
    const base = {
      region: cfg.region,
      forcePathStyle: cfg.forcePathStyle,
      credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
      requestChecksumCalculation: "WHEN_REQUIRED" as const,
      maxAttempts: 2,
    };
    const agent = { keepAlive: true, maxSockets: 32 };
    this.#bucket = cfg.bucket;
    this.#signer = new S3Client({ ...base, endpoint: publicEndpoint ?? cfg.endpoint });
    this.#client = new S3Client({
      ...base,
      endpoint: cfg.endpoint,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, httpAgent: new http.Agent(agent), httpsAgent: new https.Agent(agent) },
    });
  }

  async presignPut(key: string, o: { size: number; md5: Buffer; ttlSeconds: number }): Promise<PresignedPut> {
    validateKey(key);
    const headers = { "content-length": String(o.size), "content-md5": o.md5.toString("base64"), "if-none-match": "*" };
    const url = await getSignedUrl(
      this.#signer,
      new PutObjectCommand({ Bucket: this.#bucket, Key: key, ContentLength: o.size, ContentMD5: headers["content-md5"], IfNoneMatch: "*" }),
      { expiresIn: o.ttlSeconds, signableHeaders: new Set(Object.keys(headers)) },
    );
    return { url, headers };
  }

  presignGet(key: string, ttlSeconds: number): Promise<string> {
    validateKey(key);
    return getSignedUrl(this.#signer, new GetObjectCommand({ Bucket: this.#bucket, Key: key }), { expiresIn: ttlSeconds });
  }

  async head(key: string): Promise<StoredObject | null> {
    validateKey(key);
    try {
      const h = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { size: h.ContentLength ?? 0, md5: (h.ETag && MD5_ETAG.exec(h.ETag)?.[1]) ?? null };
    } catch (e) {
      const err = translateError(e, key);
      if (err instanceof BlobNotFoundError) return null;
      throw err;
    }
  }

  close(): void {
    this.#signer.destroy();
    this.#client.destroy();
  }
}
