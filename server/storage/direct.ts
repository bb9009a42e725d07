// Direct transfer: uploaders PUT pack objects to, and restores GET them from, the S3 server
// itself through short-lived presigned URLs, so the API handles metadata only (restic and Kopia
// talk to the bucket directly; a relay through the API halves a two-core machine's throughput).
// The contract is on the DirectTransfer interface below.
//
// Signing is @smithy/signature-v4 (the SDK's own SigV4) on plain request objects, and HEAD goes
// over a keep-alive node:http agent: the S3Client command stack cost ~0.8 ms of API CPU per
// presigned URL and ~2.2 ms per HEAD (measured here), two of each per uploaded chunk.
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { SignatureV4 } from "@smithy/signature-v4";
import { validateKey } from "./blob-store.ts";
import { StorageAuthError, StorageUnavailableError, StorageUnknownError } from "./errors.ts";
import type { S3Config } from "./s3-store.ts";

export interface PresignedPut {
  url: string;
  /** Headers the client MUST send as given (they are part of the signature). */
  headers: Record<string, string>;
}

export interface StoredObject {
  size: number;
}

/**
 * Presigned URLs to the blob store's objects, and what is stored under a key: what the API hands
 * a device instead of relaying the bytes itself. Every implementation runs
 * test/conformance/direct-transfer.test.ts against a real S3 server (Ceph RGW).
 *
 * A URL is a bearer capability for one object: it holds no credential, and the storage server,
 * not the API, enforces what the signature covers. So the rules below are what a device holding a
 * URL can and cannot do, whatever it sends.
 *
 * Keys are the server's (object-keys.ts); every method rejects a key that fails validateKey
 * with InvalidKeyError, before signing or sending anything. The presign methods do no I/O.
 */
export interface DirectTransfer {
  /**
   * A URL and the headers to PUT one object under `key`. The PUT MUST be refused unless the body
   * is exactly `o.size` bytes whose SHA-256 is `o.sha256` (signed in: a device cannot store more
   * than it declared, nor other bytes of the declared size), and MUST be refused (412) when
   * anything is stored under `key` already, even the same bytes: an object is never overwritten,
   * not even by the device's own retry. The headers MUST be sent exactly as given (they are
   * signed). The URL stops working after `o.ttlSeconds`.
   */
  presignPut(key: string, o: { size: number; sha256: Buffer; ttlSeconds: number }): Promise<PresignedPut>;

  /**
   * A URL to GET the object under `key`: the whole object, or any byte range of it (a `Range`
   * header, which is not signed: a restore reads one chunk out of a pack). It reads no other key,
   * answers 404 while nothing is stored, and stops working after `ttlSeconds`.
   */
  presignGet(key: string, ttlSeconds: number): Promise<string>;

  /**
   * What is stored under `key` (its size in bytes), or null when nothing is: absence is an
   * answer, not an error. Asked by the server with its own credentials (the internal endpoint).
   * Errors: StorageAuthError when the storage server refuses those credentials,
   * StorageUnavailableError when it cannot be reached or answers 5xx/429, StorageUnknownError
   * otherwise; never a vendor error.
   */
  head(key: string): Promise<StoredObject | null>;
}

const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
const EMPTY_SHA256 = createHash("sha256").digest("hex");

function bytesOf(d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof d === "string") return d;
  return d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** node:crypto behind the hash interface SignatureV4 expects (HMAC when given a secret). */
class Sha256 {
  readonly #h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#h = secret === undefined ? createHash("sha256") : createHmac("sha256", bytesOf(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#h.update(bytesOf(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#h.digest()));
  }
}

interface Endpoint {
  protocol: "http:" | "https:";
  hostname: string;
  port: number | undefined;
  /** Path prefix before the key: "/bucket/" (path style) or "/" (bucket in the host name). */
  prefix: string;
}

/** Where `bucket` lives at `endpoint` (AWS S3 itself when absent). */
export function endpointFor(endpoint: string | undefined, bucket: string, region: string, pathStyle: boolean): Endpoint {
  const u = new URL(endpoint ?? `https://s3.${region}.amazonaws.com`);
  const protocol = u.protocol === "http:" ? "http:" : "https:";
  const port = u.port ? Number(u.port) : undefined;
  // Dotted bucket names break TLS wildcard certificates in the host name: path style for them.
  if (pathStyle || bucket.includes(".")) return { protocol, hostname: u.hostname, port, prefix: `/${bucket}/` };
  return { protocol, hostname: `${bucket}.${u.hostname}`, port, prefix: "/" };
}

export class S3DirectTransfer implements DirectTransfer {
  readonly #signer: SignatureV4;
  /** The endpoint clients reach (signed into URLs) and the one the server reaches (HEAD). */
  readonly #public: Endpoint;
  readonly #internal: Endpoint;
  readonly #agent: http.Agent;

  constructor(cfg: S3Config, publicEndpoint?: string) {
    this.#signer = new SignatureV4({
      credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
      region: cfg.region,
      service: "s3",
      sha256: Sha256,
      uriEscapePath: false, // S3 keys are signed as sent (ours need no escaping: validateKey)
      applyChecksum: false,
    });
    this.#internal = endpointFor(cfg.endpoint, cfg.bucket, cfg.region, cfg.forcePathStyle);
    this.#public = publicEndpoint ? endpointFor(publicEndpoint, cfg.bucket, cfg.region, cfg.forcePathStyle) : this.#internal;
    const agent = { keepAlive: true, maxSockets: 32 };
    this.#agent = this.#internal.protocol === "https:" ? new https.Agent(agent) : new http.Agent(agent);
  }

  async presignPut(key: string, o: { size: number; sha256: Buffer; ttlSeconds: number }): Promise<PresignedPut> {
    const headers = { "content-length": String(o.size), "if-none-match": "*", "x-amz-content-sha256": o.sha256.toString("hex") };
    const url = await this.#presign("PUT", key, headers, o.ttlSeconds);
    return { url, headers };
  }

  presignGet(key: string, ttlSeconds: number): Promise<string> {
    return this.#presign("GET", key, { "x-amz-content-sha256": UNSIGNED_PAYLOAD }, ttlSeconds);
  }

  async #presign(method: string, key: string, headers: Record<string, string>, ttlSeconds: number): Promise<string> {
    validateKey(key);
    const e = this.#public;
    const host = e.port ? `${e.hostname}:${e.port}` : e.hostname;
    // The payload hash: a PUT's is a signed header the client must send (S3 checks the body
    // against it); a GET's (UNSIGNED-PAYLOAD) moves into the query like other x-amz-* headers.
    const signed = await this.#signer.presign(
      { method, protocol: e.protocol, hostname: e.hostname, port: e.port, path: e.prefix + key, query: {}, headers: { host, ...headers } },
      {
        expiresIn: ttlSeconds,
        signableHeaders: new Set(Object.keys(headers)),
        unhoistableHeaders: method === "PUT" ? new Set(["x-amz-content-sha256"]) : undefined,
      },
    );
    const url = new URL(`${e.protocol}//${host}${e.prefix}${key}`);
    for (const [k, v] of Object.entries(signed.query ?? {})) if (typeof v === "string") url.searchParams.set(k, v);
    return url.toString();
  }

  async head(key: string): Promise<StoredObject | null> {
    validateKey(key);
    const e = this.#internal;
    const host = e.port ? `${e.hostname}:${e.port}` : e.hostname;
    const signed = await this.#signer.sign({
      method: "HEAD",
      protocol: e.protocol,
      hostname: e.hostname,
      port: e.port,
      path: e.prefix + key,
      query: {},
      headers: { host, "x-amz-content-sha256": EMPTY_SHA256 },
    });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const mod = e.protocol === "https:" ? https : http;
      const req = mod.request(
        { method: "HEAD", hostname: e.hostname, port: e.port, path: e.prefix + key, headers: signed.headers, agent: this.#agent },
        resolve,
      );
      req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
      req.on("error", (err) => reject(new StorageUnavailableError(`s3 HEAD ${key}: ${err.message}`, { cause: err })));
      req.end();
    });
    res.resume();
    const status = res.statusCode ?? 0;
    if (status === 404) return null;
    if (status === 200) {
      return { size: Number(res.headers["content-length"] ?? 0) };
    }
    if (status === 401 || status === 403) throw new StorageAuthError(`s3 HEAD ${key}: ${status}`);
    if (status >= 500 || status === 429) throw new StorageUnavailableError(`s3 HEAD ${key}: ${status}`);
    throw new StorageUnknownError(`s3 HEAD ${key}: ${status}`);
  }

  close(): void {
    this.#agent.destroy();
  }
}
