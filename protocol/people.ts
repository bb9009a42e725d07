// The people API's wire contract (issue 19): sign-in, sessions, invitations, the studio views of
// owners and support, and the admin operations. Route by route in protocol/routes.ts.
//
// Credentials. Sign-in answers an access token (JWT, ACCESS_TOKEN_TTL_SECONDS) and an opaque
// refresh token. `mode: "bearer"` (scripts) returns both in the body: send
// `Authorization: Bearer <accessToken>`, and POST /v1/auth/refresh {refreshToken} for a new pair
// (each refresh token works once; presenting a used one again ends the whole sign-in).
// `mode: "cookie"` (the web app) sets them as HttpOnly, Secure, SameSite=Strict cookies and
// returns only `csrfToken`: every request that is not GET or HEAD and is authenticated by the
// cookie must carry it in the CSRF_HEADER header (refresh included).
import { z } from "zod";
import { deviceView, restorePointView } from "./device-api.ts";
import { lastRunView } from "./runs.ts";
import { recoveryCode, totpCode } from "./totp.ts";

export const USER_TOKEN_AUDIENCE = "datasafe-user-api";
export const TOKEN_ISSUER = "datasafe";
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const ACCESS_COOKIE = "__Host-ds_access";
export const REFRESH_COOKIE = "__Host-ds_refresh";
export const CSRF_COOKIE = "__Host-ds_csrf";
export const CSRF_HEADER = "x-csrf-token";

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

const iso = z.iso.datetime();
export const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(320)
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, "must be an e-mail address");
export const password = z.string().min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`).max(MAX_PASSWORD_LENGTH);
/** One-use links (invitations, resets): `dsl_` and 32 random bytes in base64url. */
export const linkToken = z.string().regex(/^dsl_[A-Za-z0-9_-]{43}$/, "not a link token");
export const refreshToken = z.string().regex(/^dsr_[A-Za-z0-9_-]{43}$/, "not a refresh token");

export const staffRole = z.enum(["support", "admin"]);
/** What a signed-in person is: staff by their global role, else an owner of their studios. */
export const userRole = z.enum(["owner", "support", "admin"]);
export type UserRole = z.infer<typeof userRole>;

export const signInBody = z.object({
  email,
  // Not the password rules: a sign-in only compares (an old, shorter password must still work).
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  mode: z.enum(["bearer", "cookie"]).default("bearer"),
  /** The second factor, once the account has one in force (protocol/totp.ts): one of these. */
  totp: totpCode.optional(),
  recoveryCode: recoveryCode.optional(),
});
export const refreshBody = z.object({ refreshToken: refreshToken.optional() });
export const sessionView = z.object({
  /** Bearer mode only. */
  accessToken: z.string().optional(),
  refreshToken: z.string().optional(),
  /** Cookie mode only. */
  csrfToken: z.string().optional(),
  accessTokenExpiresAt: iso,
  sessionExpiresAt: iso,
});

export const acceptInvitationBody = z.object({ token: linkToken, password: password.optional() });
export const resetPasswordBody = z.object({ token: linkToken, password });
export const changePasswordBody = z.object({ currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH), newPassword: password });
export const accountView = z.object({ userId: z.uuid(), email: z.string() });

export const meView = z.object({
  userId: z.uuid(),
  email: z.string(),
  role: userRole,
  studios: z.array(z.object({ id: z.uuid(), name: z.string() })),
});

export const studioIdParams = z.object({ studioId: z.uuid() });
export const studioDeviceParams = z.object({ studioId: z.uuid(), deviceId: z.uuid() });
export const userIdParams = z.object({ userId: z.uuid() });

export const studioRestorePointsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** Support must say why (audited, and the owners are told); owners and admins may. */
export const revokeDeviceBody = z.object({ reason: z.string().trim().min(1).max(500).optional() });
export const revokedDeviceView = z.object({ deviceId: z.uuid(), revokedAt: iso, alreadyRevoked: z.boolean() });

export const MAX_ENROLLMENT_TOKEN_TTL_SECONDS = 7 * 86_400;
export const enrollmentTokenBody = z.object({ ttlSeconds: z.number().int().min(60).max(MAX_ENROLLMENT_TOKEN_TTL_SECONDS).default(3600) });
export const enrollmentTokenView = z.object({ token: z.string(), expiresAt: iso });

export const auditQuery = z.object({
  since: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const adminAuditQuery = auditQuery.extend({ studioId: z.uuid().optional() });
export const auditEventView = z.object({
  id: z.string(),
  at: iso,
  actorId: z.uuid().nullable(),
  actorRole: z.string(),
  actorLabel: z.string().nullable(),
  studioId: z.uuid().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  address: z.string().nullable(),
  details: z.unknown(),
});
export const auditList = z.object({ events: z.array(auditEventView) });

/** A printed (later e-mailed) one-use link and when it stops working. */
export const linkView = z.object({ userId: z.uuid(), link: z.string(), expiresAt: iso });
export const createStudioBody = z.object({ name: z.string().trim().min(1).max(200), ownerEmail: email });
export const createdStudioView = z.object({ studioId: z.uuid(), invitation: linkView });
export const createUserBody = z.object({ email, role: staffRole });
export const setRoleBody = z.object({ role: staffRole.nullable() });
export const roleView = z.object({ userId: z.uuid(), role: userRole, sessionsRevoked: z.number().int() });

/** Support's search: any part of a studio's name, owner e-mail, id or device name. */
export const studioSearchQuery = z.object({
  q: z.string().trim().min(1).max(100),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export const studioSearchView = z.object({
  studios: z.array(z.object({ id: z.uuid(), name: z.string(), ownerEmail: z.string(), createdAt: iso, devices: z.number().int() })),
});

/** GET /v1/studios/:studioId: the one screen support needs while the customer is on the phone. */
export const studioDeskView = z.object({
  studioId: z.uuid(),
  name: z.string(),
  ownerEmail: z.string(),
  createdAt: iso,
  /** The studio's keys exist (its first device enrolled). */
  hasKeys: z.boolean(),
  /** Stored ciphertext after dedup, in bytes. */
  storedBytes: z.number().int(),
  latest: restorePointView.nullable(),
  latestVerified: z.object({ id: z.uuid(), createdAt: iso, verifiedAt: iso.nullable() }).nullable(),
  /** The newest restore point's commit (each commit is a successful backup), and seconds since. */
  lastBackupAt: iso.nullable(),
  secondsSinceLastBackup: z.number().int().nullable(),
  /** Each device with its newest reported run (protocol/runs.ts; null before the first). */
  devices: z.array(
    deviceView.extend({
      lastRun: lastRunView.nullable(),
      /**
       * The agent's last reported version is older than the release the server hosts, and since
       * when that release has been out (its signing time); null when no release is hosted or the
       * device has reported no MAJOR.MINOR.PATCH version.
       */
      update: z.object({ behind: z.boolean(), since: iso.nullable() }).nullable(),
    }),
  ),
  /** The uploader release the server hosts (/downloads), if any. */
  release: z.object({ version: z.string(), publishedAt: iso }).nullable(),
  openAlerts: z.array(z.object({ id: z.uuid(), kind: z.string(), restorePointId: z.uuid().nullable(), createdAt: iso })),
  recentRestorePoints: z.array(restorePointView),
  /** The server's clock when the summary was read. */
  serverTime: iso,
});
export type StudioDeskView = z.infer<typeof studioDeskView>;

/** A person's own account routes: the only ones staff may call before their second factor is in force. */
export const isOwnAccountPath = (path: string): boolean => /^\/v1\/(me|auth)(\/|$)/.test(path);
