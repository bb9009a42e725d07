// The published API contract (protocol/: server and uploader both import it): request bodies
// validated by the routes and the answers they get; the limits they enforce are in limits.ts.
import { z } from "zod";
import type { QuotaWarning } from "./usage.ts";
import type { ApiErrorCode } from "./api-errors.ts";
import {
  MAX_CHUNK_OBJECT_BYTES,
  MAX_CHUNKS_PER_PACK,
  MAX_IDS_PER_QUERY,
  MAX_IDS_PER_URL_REQUEST,
  MAX_PACK_BYTES,
  MAX_REF_PAGES,
  MAX_REFS_PER_PAGE,
} from "./limits.ts";

/** A chunk id: keyed MAC of the plaintext, 32 bytes as 64 lowercase hex characters. */
export const chunkIdHex = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters");

export const enrollmentLookupBody = z.object({ token: z.string().min(10).max(200) });

const keysetSchema = z.record(z.string(), z.unknown()).refine((k) => JSON.stringify(k).length <= 16384, "keyset too large");

export const enrollBody = z.object({
  token: z.string().min(10).max(200),
  deviceName: z.string().trim().min(1).max(100),
  signPublicKey: z.string().min(1).max(200),
  certificate: z.record(z.string(), z.unknown()).refine((c) => JSON.stringify(c).length <= 4096, "certificate too large"),
  keyset: keysetSchema.optional(),
});

/**
 * The upload session: the restore point id the backup will commit (a UUID the uploader picks at
 * its start). Sent with every dedup query and every pack, so a later garbage collector can hold
 * leases per session on the chunks the dedup query reported present.
 */
export const sessionIdSchema = z.uuid();

/** The dedup query, within the upload session `sessionId`. */
export const missingBody = z.object({ ids: z.array(chunkIdHex).min(1).max(MAX_IDS_PER_QUERY), sessionId: sessionIdSchema });

/** One result per chunk of a pack: recorded (stored: false when the studio had it already), or why not. */
export type UploadedResult =
  { id: string; stored: boolean; size: number } | { id: string; status: number; error: { code: ApiErrorCode; message: string } };

/**
 * Packs (services/packs.ts): several sealed chunks stored as one object. The table lists them in
 * order; chunk i starts where chunk i-1 ends, and the sizes add up to the pack's size.
 */
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters");
export const packTable = z
  .array(z.object({ id: chunkIdHex, size: z.number().int().min(1).max(MAX_CHUNK_OBJECT_BYTES), sha256: sha256Hex }))
  .min(1)
  .max(MAX_CHUNKS_PER_PACK)
  .refine((t) => t.reduce((n, c) => n + c.size, 0) <= MAX_PACK_BYTES, `a pack holds at most ${MAX_PACK_BYTES} bytes`);
export type PackTable = z.infer<typeof packTable>;
/** PUT /v1/packs (relayed): the body is {"sessionId", "chunks": PackTable} as JSON, then the pack's bytes. */
export const relayedPackTable = z.object({ sessionId: sessionIdSchema, chunks: packTable });
/**
 * POST /v1/packs/upload-url: a presigned PUT for one pack of `size` bytes with this SHA-256, whose
 * table hashes to `tableSha256` (protocol/pack-table.ts), for the upload session `sessionId`.
 */
export const packUploadUrlBody = z.object({
  size: z.number().int().min(1).max(MAX_PACK_BYTES),
  sha256: sha256Hex,
  tableSha256: sha256Hex,
  sessionId: sessionIdSchema,
});
/** POST /v1/packs/uploaded: the pack stored under a granted key, and its table. */
export const packUploadedBody = z.object({ key: z.string().min(1).max(512), sha256: sha256Hex, chunks: packTable });
export type PackUploaded = z.infer<typeof packUploadedBody>;

/** The client reads a chunk stored in a pack by range (DownloadUrls.ranges). */
export const downloadUrlsBody = z.object({ ids: z.array(chunkIdHex).min(1).max(MAX_IDS_PER_URL_REQUEST) });

/**
 * Answer to an upload-URL request: send the pack through the API (PUT /v1/packs); or PUT it to
 * `url` with exactly `headers` before `expiresAt`, then report it (POST /v1/packs/uploaded).
 */
/** `quota`: present once the studio, with this upload, reaches 80 % of its quota (protocol/usage.ts). */
export type UploadGrant = (
  { mode: "relay" } | { mode: "direct"; key: string; url: string; headers: Record<string, string>; expiresAt: string }
) & { quota?: QuotaWarning };

export interface DownloadUrls {
  /** false: this server serves chunk bytes through the API only (GET /v1/chunks/:id). */
  direct: boolean;
  ttlSeconds: number;
  /** Hex id -> presigned GET URL, for the requested chunks the studio holds. */
  urls: Record<string, string>;
  /**
   * Hex id -> where the chunk lies in the object of its URL, for chunks stored in a pack (GET
   * with a Range header); chunks absent here are their whole object. Chunks of one pack share
   * one URL, so neighbours can be read with one ranged GET.
   */
  ranges?: Record<string, { offset: number; size: number }>;
}

export const restorePointIdParam = z.uuid();

export const commitBody = z.object({
  label: z.string().max(200).nullable().default(null),
  files: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  rootChunkId: chunkIdHex,
  refPages: z.number().int().min(1).max(MAX_REF_PAGES),
  refCount: z
    .number()
    .int()
    .min(1)
    .max(MAX_REF_PAGES * MAX_REFS_PER_PAGE),
  skipped: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
});

export const listQuery = z.object({
  device: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export type EnrollBody = z.infer<typeof enrollBody>;
export type CommitBody = z.infer<typeof commitBody>;

/** A restore point as the API presents it. */
export interface RestorePointView {
  id: string;
  createdAt: string;
  label: string | null;
  files: number;
  bytes: number;
  deviceId: string;
  deviceName: string;
  rootChunkId: string;
  refCount: number;
  skipped: number;
  /** Server verification: pending until checked, then verified or damaged (integrity). */
  health: "pending" | "verified" | "damaged";
  /** When the server last found every referenced chunk intact. */
  verifiedAt: string | null;
  /** Referenced chunks found missing or corrupt (0 unless damaged). */
  damagedChunks: number;
  /** The last decrypt-and-compare check by `datasafe verify` on a studio PC. */
  clientVerification: { at: string; ok: boolean } | null;
  /**
   * Set while damaged chunks of this point were replaced and no studio PC has verified it since
   * ("repaired, not yet verified by a studio PC"): the server cannot tell a real repair from junk
   * uploaded by a stolen device, so only a signed, complete `datasafe verify` clears it.
   */
  repairUnconfirmedSince: string | null;
  /** Retention, in the lists (docs/retention.md): when it expires if nothing changes (null: not by time). */
  expiresAt?: string | null;
  /** Why retention keeps it ("daily 2026-11-03", "labelled", "held", "latest of device", ...). */
  keptBecause?: string[];
  /** Soft-deleted: restorable, and the deletion undoable, until purgeAt. */
  deletedAt?: string | null;
  purgeAt?: string | null;
}

/**
 * An agent heartbeat (POST /v1/heartbeats), sent at least every 5 minutes separately from
 * backups. Zero knowledge: error *codes* only, never a message (it could hold a file name).
 */
export const heartbeatBody = z.object({
  agentVersion: z.string().min(1).max(50),
  os: z.string().min(1).max(100),
  state: z.enum(["idle", "running", "retrying"]),
  nextRunAt: z.iso.datetime().nullable(),
  lastRun: z
    .object({
      at: z.iso.datetime(),
      result: z.enum(["ok", "failed"]),
      errorCode: z
        .string()
        .regex(/^[A-Z0-9_]{1,64}$/, "must be an error code (A-Z, 0-9, _)")
        .nullable(),
      restorePointId: z.uuid().nullable(),
    })
    .nullable(),
  lastSuccessAt: z.iso.datetime().nullable(),
});

export type HeartbeatBody = z.infer<typeof heartbeatBody>;

/** A device of the caller's studio with its latest heartbeat (GET /v1/devices). */
export interface DeviceView {
  id: string;
  name: string;
  createdAt: string;
  revoked: boolean;
  heartbeat: {
    receivedAt: string;
    agentVersion: string;
    os: string;
    state: string;
    nextRunAt: string | null;
    lastRunAt: string | null;
    lastResult: string | null;
    lastErrorCode: string | null;
    lastRestorePointId: string | null;
    lastSuccessAt: string | null;
  } | null;
}
