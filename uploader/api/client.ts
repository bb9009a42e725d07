// Typed client of the DataSafe API (protocol/ is the contract).
import { createHash } from "node:crypto";
import type { DownloadUrls, HeartbeatBody, PackTable, RestorePointView, UploadedResult, UploadGrant } from "../../protocol/schemas.ts";
import type { QuotaWarning } from "../../protocol/usage.ts";
import { hasCode } from "../errors.ts";
import { MAX_CIPHERTEXT_SIZE } from "../format/index.ts";
import { packTableSha256 } from "../../protocol/pack-table.ts";
import { ApiError } from "./api-error.ts";
import { bulkGet, bulkPut, getEnvelope, httpCall, jsonCall, type BulkAgents } from "./http-transport.ts";
import type { Credentials } from "./credentials.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.ts";

export type { RestorePointView };

export interface EnrollmentLookup {
  studioId: string;
  studioName: string;
  keyset: unknown;
}

export interface EnrollResult {
  deviceId: string;
  deviceName: string;
  studioId: string;
  firstDevice: boolean;
  accessToken: string;
  accessTokenExpiresAt: string;
}

/** Direct PUTs and GETs to the bucket give up sooner: the API relay is the fallback. */
const DIRECT_RETRY: RetryPolicy = { attempts: 3, baseMs: 250, capMs: 2_000 };

export interface TransferStats {
  /** Chunks sent straight to the bucket, alone or in packs. */
  directChunks: number;
}

export type { PackTable };

export class ApiClient {
  /** false once this server (or this PC's network) cannot do direct transfer: stop asking. */
  private direct = true;
  readonly transfers: TransferStats = { directChunks: 0 };
  /** The latest quota warning a pack grant carried (the studio is at 80 % of its quota or more). */
  quotaWarning: QuotaWarning | null = null;

  /**
   * `accessToken`: a fixed token, or a device's renewable credential (credentials.ts: every API
   * request goes through authed()). `agents`: the connection pools for its requests (chunk bytes
   * and API calls); by default the process-wide ones.
   */
  constructor(
    readonly server: string,
    private readonly accessToken?: string | Credentials,
    private readonly agents?: BulkAgents,
  ) {}

  /** `call` reads headers() when it runs, so a retry after renewal sends the new token. */
  private authed<T>(call: () => Promise<T>): Promise<T> {
    return typeof this.accessToken === "object" ? this.accessToken.call(call) : call();
  }

  private url(path: string): string {
    return new URL(path, this.server.endsWith("/") ? this.server : `${this.server}/`).toString();
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = typeof this.accessToken === "object" ? this.accessToken.token : this.accessToken;
    return { ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
  }

  private json<T>(method: "GET" | "POST", path: string, body?: unknown, retry = DEFAULT_RETRY): Promise<T> {
    return this.authed(() => jsonCall<T>(method, this.url(path), this.headers(), body, retry, this.agents));
  }

  lookupEnrollment(token: string): Promise<EnrollmentLookup> {
    return this.json("POST", "v1/enrollments/lookup", { token });
  }

  enroll(body: {
    token: string;
    deviceName: string;
    signPublicKey: string;
    certificate: unknown;
    keyset?: unknown;
  }): Promise<EnrollResult> {
    return this.json("POST", "v1/enrollments", body);
  }

  async keyset(): Promise<unknown> {
    return (await this.json<{ keyset: unknown }>("GET", "v1/keyset")).keyset;
  }

  /** The dedup query; `sessionId`: the restore point id this backup will commit (its upload session). */
  async missing(ids: string[], sessionId: string): Promise<string[]> {
    return (await this.json<{ missing: string[] }>("POST", "v1/chunks/missing", { ids, sessionId })).missing;
  }

  /** PUT to a presigned URL; false when the bucket refused or could not be reached. */
  private async sendDirect(url: string, headers: Record<string, string>, envelope: Buffer | readonly Buffer[]): Promise<boolean> {
    try {
      await bulkPut(url, headers, envelope, DIRECT_RETRY, this.agents);
      return true;
    } catch (err) {
      // 412: the key exists, i.e. an earlier attempt of this very PUT landed (keys are never reused).
      if (err instanceof ApiError && err.status === 412) return true;
      // Not reachable from this PC (a private endpoint): every later chunk goes through the API.
      if (hasCode(err, "SERVER_UNREACHABLE")) this.direct = false;
      return false;
    }
  }

  /**
   * Sends one pack for the upload session `sessionId`: the `envelopes` of the chunks `table` lists,
   * in its order (server/services/packs.ts). Resolves once the bytes are sent (the caller may free
   * them), with `recorded`: one result per chunk, in table order. Straight to the bucket when the
   * server grants a presigned PUT (the grant names the pack's size, SHA-256 and table hash, and
   * only this device may report it), else (or when the bucket refuses or cannot be reached)
   * through the API.
   */
  async sendPack(table: PackTable, envelopes: readonly Buffer[], sessionId: string): Promise<{ recorded: Promise<UploadedResult[]> }> {
    const size = envelopes.reduce((n, e) => n + e.length, 0);
    if (this.direct) {
      const hash = createHash("sha256");
      for (const e of envelopes) hash.update(e);
      const sha256 = hash.digest("hex");
      const tableSha256 = packTableSha256(table).toString("hex");
      const grant = await this.json<UploadGrant>("POST", "v1/packs/upload-url", { size, sha256, tableSha256, sessionId });
      if (grant.quota) this.quotaWarning = grant.quota;
      if (grant.mode === "direct" && (await this.sendDirect(grant.url, grant.headers, envelopes))) {
        this.transfers.directChunks += table.length;
        const recorded = this.json<{ results: UploadedResult[] }>("POST", "v1/packs/uploaded", {
          key: grant.key,
          sha256,
          chunks: table,
        }).then((r) => r.results);
        recorded.catch(() => undefined); // the caller observes it; no unhandled rejection meanwhile
        return { recorded };
      }
      // The server relays (its store is a local directory): no need to ask again.
      if (grant.mode === "relay") this.direct = false;
    }
    const head = Buffer.from(JSON.stringify({ sessionId, chunks: table }));
    const headers = () =>
      this.headers({
        "content-type": "application/octet-stream",
        "content-length": String(head.length + size),
        "x-pack-table-length": String(head.length),
      });
    const body = await this.authed(() => bulkPut(this.url("v1/packs"), headers(), [head, ...envelopes], DEFAULT_RETRY, this.agents));
    return { recorded: Promise.resolve((JSON.parse(body.toString("utf8")) as { results: UploadedResult[] }).results) };
  }

  /** Presigned GET URLs for chunks (at most MAX_IDS_PER_URL_REQUEST ids). */
  downloadUrls(ids: string[]): Promise<DownloadUrls> {
    return this.json("POST", "v1/chunks/download-urls", { ids });
  }

  /**
   * GETs a chunk object (at most one envelope), or a range of a pack, from a presigned URL (no API
   * credentials are sent there).
   */
  getDirect(url: string, o: { range?: { offset: number; size: number } } = {}): Promise<Buffer> {
    return bulkGet(url, DIRECT_RETRY, this.agents, { ...o, maxBytes: MAX_CIPHERTEXT_SIZE });
  }

  /** One chunk's envelope through the API; `retry`: fewer attempts where a failure is a finding (verify). */
  getChunk(id: string, retry: RetryPolicy = DEFAULT_RETRY): Promise<Buffer> {
    return this.authed(() => getEnvelope(this.url(`v1/chunks/${id}`), this.headers(), retry, this.agents));
  }

  async putRefPage(restorePointId: string, page: number, ids: Buffer): Promise<void> {
    await this.authed(() =>
      httpCall(
        "PUT",
        this.url(`v1/restore-points/${restorePointId}/refs/${page}`),
        this.headers({ "content-type": "application/octet-stream" }),
        ids,
        DEFAULT_RETRY,
        this.agents,
      ),
    );
  }

  commit(
    restorePointId: string,
    body: { label: string | null; files: number; bytes: number; rootChunkId: string; refPages: number; refCount: number; skipped: number },
  ): Promise<RestorePointView> {
    return this.json("POST", `v1/restore-points/${restorePointId}/commit`, body);
  }

  /** One heartbeat, one attempt: the next beat is the retry. */
  async heartbeat(body: HeartbeatBody): Promise<void> {
    await this.json("POST", "v1/heartbeats", body, { attempts: 1, baseMs: 0, capMs: 0 });
  }

  /** A signed client verification report (server/http/integrity-schemas.ts) for the restore point. */
  async reportClientVerification(restorePointId: string, body: { report: string; signature: string }): Promise<void> {
    await this.json("POST", `v1/restore-points/${restorePointId}/client-verification`, body);
  }

  async listRestorePoints(device?: string): Promise<RestorePointView[]> {
    const q = new URLSearchParams({ limit: "1000", ...(device ? { device } : {}) });
    return (await this.json<{ restorePoints: RestorePointView[] }>("GET", `v1/restore-points?${q}`)).restorePoints;
  }

  getRestorePoint(idOrLatest: string): Promise<RestorePointView> {
    return this.json("GET", `v1/restore-points/${encodeURIComponent(idOrLatest)}`);
  }
}
