// The integrity part of the published API contract (protocol/: server and uploader both import
// it): the client verify report and the studio summary.
import { z } from "zod";
import { MAX_REPORTED_CHUNKS } from "./limits.ts";

/**
 * Domain separation for the report signature: Ed25519 by the studio sign key (which only the
 * passphrase or recovery key unlocks) over REPORT_SIGNING_PREFIX | the UTF-8 bytes of `report`
 * exactly as sent. Signing the sent text avoids canonicalisation rules on both sides.
 */
export const REPORT_SIGNING_PREFIX = "datasafe/v1/verify-report\n";
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** Problems carry codes and chunk ids only: never a file name (zero knowledge). */
export const clientReport = z.object({
  version: z.literal(1),
  studioId: z.uuid(),
  restorePointId: z.uuid(),
  checkedAt: z.iso.datetime(),
  /** Share of chunks checked, in percent (100: all). */
  subsetPercent: z.number().min(0).max(100),
  chunksChecked: z.number().int().min(0),
  bytesChecked: z.number().int().min(0),
  ok: z.boolean(),
  problems: z.array(z.object({ code: z.string().regex(/^[A-Z0-9_]{1,64}$/), chunkId: hex64.nullable() })).max(MAX_REPORTED_CHUNKS),
  /** Chunks that failed authentication, with the SHA-256 of the ciphertext the client received
   * (null if it received none): the server acts only while the stored object is that one. */
  damagedChunks: z
    .array(z.object({ id: hex64, sha256: hex64.nullable(), code: z.string().regex(/^[A-Z0-9_]{1,64}$/) }))
    .max(MAX_REPORTED_CHUNKS),
});
export type ClientReport = z.infer<typeof clientReport>;

export const clientReportBody = z.object({
  report: z
    .string()
    .min(2)
    .max(512 * 1024),
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, "must be a base64 Ed25519 signature"),
});

export interface ClientReportResult {
  recorded: boolean;
  /** Chunks now marked damaged on the strength of this report (replaced by the next backup). */
  markedDamaged: number;
  /** Chunks whose stored bytes differ from what the report describes: the server re-reads them. */
  recheck: number;
}

/** GET /v1/studio: what the owner and support look at first. */
export interface StudioSummaryView {
  studioId: string;
  name: string;
  restorePoints: number;
  latest: { id: string; createdAt: string; health: string } | null;
  latestVerified: { id: string; createdAt: string; verifiedAt: string | null } | null;
  damagedRestorePoints: number;
  pendingRestorePoints: number;
  openAlerts: Array<{ id: string; kind: string; restorePointId: string | null; createdAt: string; details: unknown }>;
}
