// The uploader's data-path HTTP over node:http(s) with keep-alive agents, not fetch: chunk bytes
// to and from presigned bucket URLs and through the API's relay, and the API's JSON calls. fetch's
// web streams cost ~35 % more CPU per MiB (873 vs 564 ms of CPU for 256 MiB of 1 MiB GETs from
// Ceph RGW, measured here) and ~0.5 ms more per small request, and on a two-core studio PC that
// CPU is what the backup and restore pipelines run short of. Retries as for other API requests
// (retry.ts). Errors: the bucket's XML, or the API's JSON ({"error": {code, message}}).
//
// Every answer is bounded before it is held, whoever sends it (a hostile or broken server, a
// proxy): a chunk's bytes by the format's largest envelope, an API answer by
// MAX_JSON_RESPONSE_BYTES, an error's body by MAX_ERROR_BODY_BYTES. A body announced or grown
// beyond its bound fails with RESPONSE_TOO_LARGE, never retried.
import http from "node:http";
import https from "node:https";
import { MAX_CIPHERTEXT_SIZE } from "../format/constants.ts";
import { remoteCode } from "../errors.ts";
import { ApiError, networkError } from "./api-error.ts";
import { withRetries, type RetryPolicy } from "./retry.ts";

/** Keep-alive connection pools, at most `maxSockets` per host: one per uploader process. */
export class BulkAgents {
  readonly "http:": http.Agent;
  readonly "https:": https.Agent;
  constructor(maxSockets = 16) {
    this["http:"] = new http.Agent({ keepAlive: true, maxSockets });
    this["https:"] = new https.Agent({ keepAlive: true, maxSockets });
  }
}
const shared = new BulkAgents();
/** No byte for this long on a transfer's socket: the attempt fails (and is retried). */
const IDLE_TIMEOUT_MS = 60_000;
/**
 * The largest answer of an API call: the largest real ones (a listing of 1000 restore points,
 * 256 presigned URLs) are well under 2 MiB.
 */
export const MAX_JSON_RESPONSE_BYTES = 16 * 1024 * 1024;
/** An error answer is read this far for its code and message; the rest is not waited for. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

function tooLargeError(what: string, maxBytes: number): ApiError {
  return new ApiError(502, "RESPONSE_TOO_LARGE", `the response to ${what} exceeds ${maxBytes} bytes`);
}

/** S3 errors are XML: <Error><Code>SlowDown</Code><Message>...</Message></Error>; the API's JSON. */
function responseError(status: number, body: string, contentType: string | undefined, retryAfter: string | undefined): ApiError {
  let err: ApiError;
  if (contentType?.includes("json")) {
    const parsed = (() => {
      try {
        return (JSON.parse(body) as { error?: { code?: string; message?: string } }).error ?? {};
      } catch {
        return {};
      }
    })();
    const { code, message, ...details } = parsed;
    err = new ApiError(
      status,
      typeof code === "string" && code ? remoteCode(code) : "HTTP_ERROR",
      message ?? `server answered ${status}`,
      details,
    );
  } else {
    const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
    const message = /<Message>([^<]{1,300})<\/Message>/.exec(body)?.[1] || `storage answered ${status}${code ? ` ${code}` : ""}`;
    err = new ApiError(status, code ? remoteCode(code) : "HTTP_ERROR", message);
  }
  const ra = Number(retryAfter);
  if (Number.isFinite(ra) && ra > 0) err.retryAfterMs = Math.min(ra * 1000, 60_000);
  return err;
}

type Method = "GET" | "PUT" | "POST";

/** A request body: one buffer, or several sent one after the other (a pack's envelopes). */
export type Body = Buffer | readonly Buffer[];

/**
 * `maxBytes`: a success's body announced or grown beyond it is refused before it is held; an
 * error's body is read up to MAX_ERROR_BODY_BYTES, then the connection is dropped.
 */
function once(
  agents: BulkAgents,
  method: Method,
  url: string,
  headers: Record<string, string>,
  body: Body | undefined,
  maxBytes: number,
): Promise<Buffer> {
  const u = new URL(url);
  const mod = u.protocol === "https:" ? https : http;
  const agent = agents[u.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(networkError(url, new Error(`unsupported protocol ${u.protocol}`)));
  return new Promise<Buffer>((resolve, reject) => {
    const req = mod.request(u, { method, headers, agent }, (res) => {
      const status = res.statusCode ?? 0;
      const length = Number(res.headers["content-length"]);
      const failed = () =>
        responseError(
          status,
          Buffer.concat(parts).toString("utf8"),
          res.headers["content-type"],
          res.headers["retry-after"] as string | undefined,
        );
      const tooLarge = () => req.destroy(tooLargeError(u.pathname, maxBytes));
      if (status < 300 && length > maxBytes) return tooLarge();
      // The body into one buffer of the announced size (no concat), else collected.
      const whole = status < 300 && Number.isSafeInteger(length) && length >= 0 ? Buffer.allocUnsafe(length) : null;
      const parts: Buffer[] = [];
      let received = 0;
      res.on("data", (b: Buffer) => {
        if (status >= 300) {
          if (received < MAX_ERROR_BODY_BYTES) parts.push(b.subarray(0, MAX_ERROR_BODY_BYTES - received));
          received += b.length;
          if (received >= MAX_ERROR_BODY_BYTES) {
            reject(failed()); // what was read names the error; the rest is not waited for
            req.destroy();
          }
          return;
        }
        if (received + b.length > maxBytes) return tooLarge();
        if (whole && received + b.length <= whole.length) b.copy(whole, received);
        else parts.push(b);
        received += b.length;
      });
      res.on("error", reject);
      res.on("end", () => {
        if (status >= 300) return reject(failed());
        if (whole && received !== whole.length) return reject(new Error(`received ${received} of ${whole.length} bytes`));
        resolve(whole ?? Buffer.concat(parts));
      });
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error("idle timeout")));
    req.on("error", reject);
    if (Array.isArray(body)) {
      for (const b of body) req.write(b);
      req.end();
    } else req.end(body);
  });
}

/**
 * GET a presigned URL: the whole object (at most `maxBytes`), or the `range` of it (exactly those
 * bytes, else an error).
 */
export async function bulkGet(
  url: string,
  policy: RetryPolicy,
  agents = shared,
  o: { range?: { offset: number; size: number }; maxBytes: number },
): Promise<Buffer> {
  const { range } = o;
  // The range comes from the server's answer: a hostile one could name gigabytes.
  if (range && range.size > o.maxBytes) throw tooLargeError(new URL(url).pathname, o.maxBytes);
  const headers: Record<string, string> = range ? { range: `bytes=${range.offset}-${range.offset + range.size - 1}` } : {};
  const max = range ? range.size : o.maxBytes;
  const data = await withRetries(url, () => once(agents, "GET", url, headers, undefined, max), policy);
  if (range && data.length !== range.size) throw new ApiError(502, "SHORT_READ", `storage returned ${data.length} of ${range.size} bytes`);
  return data;
}

/**
 * PUT `body` with exactly these `headers` (a presigned URL's signed ones); resolves with the
 * response body (empty from a bucket, JSON from the API's relay).
 */
export function bulkPut(url: string, headers: Record<string, string>, body: Body, policy: RetryPolicy, agents = shared): Promise<Buffer> {
  return withRetries(url, () => once(agents, "PUT", url, headers, body, MAX_JSON_RESPONSE_BYTES), policy);
}

/**
 * A request with retries; resolves with the response body, at most `maxBytes` (errors as
 * ApiError, like every call here).
 */
export function httpCall(
  method: Method,
  url: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  policy: RetryPolicy,
  agents = shared,
  maxBytes = MAX_JSON_RESPONSE_BYTES,
): Promise<Buffer> {
  const all = body ? { ...headers, "content-length": String(body.length) } : headers;
  return withRetries(url, () => once(agents, method, url, all, body, maxBytes), policy);
}

/** GET one chunk's envelope through the API's relay (GET /v1/chunks/:id): at most one envelope's bytes. */
export function getEnvelope(url: string, headers: Record<string, string>, policy: RetryPolicy, agents = shared): Promise<Buffer> {
  return httpCall("GET", url, headers, undefined, policy, agents, MAX_CIPHERTEXT_SIZE);
}

/** An API call: `body` (if any) sent as JSON, the answer parsed as JSON. */
export async function jsonCall<T>(
  method: Method,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  policy: RetryPolicy,
  agents = shared,
): Promise<T> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const res = await httpCall(method, url, payload ? { ...headers, "content-type": "application/json" } : headers, payload, policy, agents);
  return JSON.parse(res.toString("utf8")) as T;
}
