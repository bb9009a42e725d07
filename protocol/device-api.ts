// Response schemas of the device API and the enrollment routes, as the route table
// (protocol/routes.ts) declares them: the TypeScript views next to the request schemas describe
// the same shapes; these are what OpenAPI and the route matrix test check answers against.
import { z } from "zod";
import { quotaWarningView } from "./usage.ts";

const iso = z.iso.datetime();
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const restorePointView = z.object({
  id: z.uuid(),
  createdAt: iso,
  label: z.string().nullable(),
  files: z.number().int(),
  bytes: z.number().int(),
  deviceId: z.uuid(),
  deviceName: z.string(),
  rootChunkId: hex64,
  refCount: z.number().int(),
  skipped: z.number().int(),
  health: z.enum(["pending", "verified", "damaged"]),
  verifiedAt: iso.nullable(),
  damagedChunks: z.number().int(),
  clientVerification: z.object({ at: iso, ok: z.boolean() }).nullable(),
  repairUnconfirmedSince: iso.nullable(),
  // Retention (docs/retention.md), in the lists: when the point expires if nothing changes (null:
  // not by time) and why it is kept; deletedAt/purgeAt once deleted (restorable until purgeAt).
  expiresAt: iso.nullable().optional(),
  keptBecause: z.array(z.string()).optional(),
  deletedAt: iso.nullable().optional(),
  purgeAt: iso.nullable().optional(),
});
export const restorePointList = z.object({ restorePoints: z.array(restorePointView) });

export const deviceView = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: iso,
  revoked: z.boolean(),
  heartbeat: z
    .object({
      receivedAt: iso,
      agentVersion: z.string(),
      os: z.string(),
      state: z.string(),
      nextRunAt: iso.nullable(),
      lastRunAt: iso.nullable(),
      lastResult: z.string().nullable(),
      lastErrorCode: z.string().nullable(),
      lastRestorePointId: z.uuid().nullable(),
      lastSuccessAt: iso.nullable(),
    })
    .nullable(),
});
export const deviceList = z.object({ devices: z.array(deviceView) });

export const studioSummaryView = z.object({
  studioId: z.uuid(),
  name: z.string(),
  restorePoints: z.number().int(),
  latest: z.object({ id: z.uuid(), createdAt: iso, health: z.string() }).nullable(),
  latestVerified: z.object({ id: z.uuid(), createdAt: iso, verifiedAt: iso.nullable() }).nullable(),
  damagedRestorePoints: z.number().int(),
  pendingRestorePoints: z.number().int(),
  openAlerts: z.array(
    z.object({ id: z.uuid(), kind: z.string(), restorePointId: z.uuid().nullable(), createdAt: iso, details: z.unknown() }),
  ),
});

export const keysetView = z.object({ keyset: z.record(z.string(), z.unknown()) });

export const enrollmentLookupView = z.object({
  studioId: z.uuid(),
  studioName: z.string(),
  keyset: z.record(z.string(), z.unknown()).nullable(),
});
export const enrollmentView = z.object({
  deviceId: z.uuid(),
  deviceName: z.string(),
  studioId: z.uuid(),
  firstDevice: z.boolean(),
  accessToken: z.string(),
  accessTokenExpiresAt: iso,
});
export const deviceChallengeView = z.object({ nonce: z.string(), expiresAt: iso });
export const deviceTokenView = z.object({ accessToken: z.string(), expiresAt: iso });

export const missingView = z.object({ missing: z.array(hex64) });
export const downloadUrlsView = z.object({
  direct: z.boolean(),
  ttlSeconds: z.number().int(),
  urls: z.record(z.string(), z.string()),
  ranges: z.record(z.string(), z.object({ offset: z.number().int(), size: z.number().int() })).optional(),
});
export const uploadedResults = z.object({
  results: z.array(
    z.union([
      z.object({ id: hex64, stored: z.boolean(), size: z.number().int() }),
      z.object({ id: hex64, status: z.number().int(), error: z.object({ code: z.string(), message: z.string() }) }),
    ]),
  ),
});
export const uploadGrantView = z.union([
  z.object({ mode: z.literal("relay"), quota: quotaWarningView.optional() }),
  z.object({
    mode: z.literal("direct"),
    key: z.string(),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    expiresAt: iso,
    quota: quotaWarningView.optional(),
  }),
]);
export const heartbeatAck = z.object({ receivedAt: iso });
export const clientReportResultView = z.object({ recorded: z.boolean(), markedDamaged: z.number().int(), recheck: z.number().int() });

export const healthView = z.object({ status: z.string() });
export const readinessView = z.object({ status: z.string(), checks: z.record(z.string(), z.enum(["ok", "down"])) });
