// The one route table: every route the API serves, declared once with its method, path, who may
// call it and the zod schemas of its request and answer. server/http/route-table.ts mounts routes
// only from here and puts the audience's authentication and authorization in front of each, so
// a route cannot be served without a declared audience; app construction fails if a route here
// is not mounted. test/integration/route-matrix.test.ts calls every route as every kind of caller.
//
// Audiences:
//   anonymous  no credential (health, enrollment, device token renewal, sign-in, one-use links)
//   device     a device token (protocol/device-tokens.ts); scoped to the device's own studio
//   owner      a signed-in person who is a member of the `:studioId` in the path (other
//              studios answer 404, as if they did not exist); on a route without `:studioId`,
//              any signed-in person without a staff role
//   support    staff: every studio's metadata (each look at a studio is audited)
//   admin      operators: everything support may, plus studios, users and roles
// A route is either anonymous, or device, or for people (owner/support/admin): never a mix.
import { z } from "zod";
import type { ApiErrorCode } from "./api-errors.ts";
import { openApiDocumentView } from "./api-docs.ts";
import {
  alertIdParams,
  alertList,
  alertListQuery,
  alertSettingsBody,
  alertSettingsView,
  alertSnoozeBody,
  alertView,
  studioAlertParams,
  resentView,
  supportAlertList,
  supportAlertsQuery,
  webhookSecretView,
} from "./alerts.ts";
import { clientReportBody } from "./integrity-schemas.ts";
import { downloadParams } from "./release.ts";
import {
  commitBody,
  downloadUrlsBody,
  enrollBody,
  enrollmentLookupBody,
  heartbeatBody,
  listQuery,
  missingBody,
  packUploadedBody,
  packUploadUrlBody,
} from "./schemas.ts";
import {
  clientReportResultView,
  deviceChallengeView,
  deviceList,
  deviceTokenView,
  downloadUrlsView,
  enrollmentLookupView,
  enrollmentView,
  healthView,
  heartbeatAck,
  keysetView,
  missingView,
  readinessView,
  restorePointList,
  restorePointView,
  studioSummaryView,
  uploadedResults,
  uploadGrantView,
} from "./device-api.ts";
import { deviceChallengeBody, deviceTokenBody } from "./device-tokens.ts";
import { deviceRunList, deviceRunsQuery, runParams, runReportAck, runReportBody } from "./runs.ts";
import {
  closeSignalBody,
  deletePointBody,
  retentionEventList,
  retentionEventsQuery,
  retentionPointView,
  retentionPolicy,
  retentionPolicyView,
  retentionPreviewBody,
  retentionPreviewView,
  retentionStateView,
  studioPointParams,
  studioSignalParams,
} from "./retention.ts";
import { supportAccessQuery, supportAccessView } from "./support-access.ts";
import { recoveryCodesView, totpConfirmBody, totpEnrollmentView } from "./totp.ts";
import { studioUsageView, usageDaysQuery, usageDaysView } from "./usage.ts";
import {
  acceptInvitationBody,
  accountView,
  adminAuditQuery,
  auditList,
  auditQuery,
  changePasswordBody,
  createdStudioView,
  createStudioBody,
  createUserBody,
  enrollmentTokenBody,
  enrollmentTokenView,
  linkView,
  meView,
  refreshBody,
  resetPasswordBody,
  revokeDeviceBody,
  revokedDeviceView,
  roleView,
  sessionView,
  setRoleBody,
  signInBody,
  studioDeskView,
  studioDeviceParams,
  studioIdParams,
  studioRestorePointsQuery,
  studioSearchQuery,
  studioSearchView,
  userIdParams,
} from "./people.ts";

export type Audience = "anonymous" | "device" | "owner" | "support" | "admin";
export type Method = "GET" | "POST" | "PUT" | "DELETE";
/** Bytes rather than JSON: a pack's body, a chunk's content, the metrics text, a page, or no body (204). */
export type Raw = "binary" | "text" | "html" | "empty";

export interface RouteSpec {
  method: Method;
  /** Express syntax (`:name` parameters), from the root. */
  path: string;
  audience: readonly Audience[];
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType | Raw;
  /** The success status and the answer's schema. */
  status: number;
  response: z.ZodType | Raw;
  /**
   * The error codes of this route's own rules and services; those its audience, parameters and
   * body imply (UNAUTHENTICATED, NOT_FOUND, VALIDATION_FAILED, ...) are added by protocol/openapi.ts.
   */
  errors?: readonly ApiErrorCode[];
}

const id = z.object({ id: z.uuid() });
const chunkParams = z.object({ id: z.string().regex(/^[0-9a-f]{64}$/) });
const studioChunkParams = studioIdParams.extend(chunkParams.shape);
const idOrLatest = z.object({ id: z.union([z.literal("latest"), z.uuid()]) });
const refPageParams = z.object({ id: z.uuid(), page: z.coerce.number().int().min(0) });
const PEOPLE = ["owner", "support", "admin"] as const;
const STAFF = ["support", "admin"] as const;

function route<const S extends RouteSpec>(spec: S): S {
  return spec;
}

export const routes = {
  // Process health and metrics (GET /metrics checks its own METRICS_TOKEN when one is set).
  healthz: route({ method: "GET", path: "/healthz", audience: ["anonymous"], summary: "liveness", status: 200, response: healthView }),
  readyz: route({
    method: "GET",
    path: "/readyz",
    audience: ["anonymous"],
    summary: "readiness: Postgres, Redis and the blob store answer (503 if not)",
    status: 200,
    response: readinessView,
  }),
  metrics: route({
    method: "GET",
    path: "/metrics",
    audience: ["anonymous"],
    summary: "Prometheus metrics (Bearer METRICS_TOKEN when configured)",
    status: 200,
    response: "text",
    errors: ["UNAUTHENTICATED"],
  }),

  // The uploader's signed release (services/releases.ts): the page owners download it from, and its files.
  downloads: route({
    method: "GET",
    path: "/downloads",
    audience: ["anonymous"],
    summary: "the current uploader release: executables, SHA-256 sums, signature",
    status: 200,
    response: "text",
  }),
  downloadFile: route({
    method: "GET",
    path: "/downloads/:file",
    audience: ["anonymous"],
    summary: "release.json, release.sig or an executable of the current release",
    params: downloadParams,
    status: 200,
    response: "binary",
  }),

  // Enrollment and device token renewal: authenticated by a one-use token or the device key.
  enrollmentLookup: route({
    method: "POST",
    path: "/v1/enrollments/lookup",
    audience: ["anonymous"],
    summary: "the studio and its wrapped keyset for an unused enrollment token",
    body: enrollmentLookupBody,
    status: 200,
    response: enrollmentLookupView,
    errors: ["TOKEN_INVALID", "RATE_LIMITED", "DATABASE_UNAVAILABLE"],
  }),
  enroll: route({
    method: "POST",
    path: "/v1/enrollments",
    audience: ["anonymous"],
    summary: "enroll a device with a one-use token",
    body: enrollBody,
    status: 201,
    response: enrollmentView,
    errors: ["TOKEN_INVALID", "CERTIFICATE_INVALID", "KEYSET_EXISTS", "KEYSET_MISSING", "RATE_LIMITED", "DATABASE_UNAVAILABLE"],
  }),
  deviceChallenge: route({
    method: "POST",
    path: "/v1/devices/challenge",
    audience: ["anonymous"],
    summary: "a challenge for token renewal",
    body: deviceChallengeBody,
    status: 200,
    response: deviceChallengeView,
    errors: ["RATE_LIMITED", "DATABASE_UNAVAILABLE"],
  }),
  deviceToken: route({
    method: "POST",
    path: "/v1/devices/token",
    audience: ["anonymous"],
    summary: "a fresh device token for a signed challenge",
    body: deviceTokenBody,
    status: 200,
    response: deviceTokenView,
    errors: ["CHALLENGE_INVALID", "RATE_LIMITED", "DATABASE_UNAVAILABLE"],
  }),

  // The device API: every answer is limited to the device's own studio.
  chunksMissing: route({
    method: "POST",
    path: "/v1/chunks/missing",
    audience: ["device"],
    summary: "the dedup query",
    body: missingBody,
    status: 200,
    response: missingView,
  }),
  chunkDownloadUrls: route({
    method: "POST",
    path: "/v1/chunks/download-urls",
    audience: ["device"],
    summary: "presigned GET URLs for chunks",
    body: downloadUrlsBody,
    status: 200,
    response: downloadUrlsView,
  }),
  chunkGet: route({
    method: "GET",
    path: "/v1/chunks/:id",
    audience: ["device"],
    summary: "a chunk's stored bytes",
    params: chunkParams,
    status: 200,
    response: "binary",
    errors: ["BLOB_MISSING", "BUSY", "STORAGE_UNAVAILABLE"],
  }),
  packPut: route({
    method: "PUT",
    path: "/v1/packs",
    audience: ["device"],
    summary: "a relayed pack: its table as JSON (X-Pack-Table-Length bytes), then its bytes",
    body: "binary",
    status: 200,
    response: uploadedResults,
    errors: ["LENGTH_REQUIRED", "INTEGRITY_MISMATCH", "BUSY", "STORAGE_INTEGRITY", "STORAGE_UNAVAILABLE"],
  }),
  packUploadUrl: route({
    method: "POST",
    path: "/v1/packs/upload-url",
    audience: ["device"],
    summary: "a grant to upload one pack",
    body: packUploadUrlBody,
    status: 200,
    response: uploadGrantView,
    errors: ["DIRECT_TRANSFER_DISABLED"],
  }),
  packUploaded: route({
    method: "POST",
    path: "/v1/packs/uploaded",
    audience: ["device"],
    summary: "report a directly uploaded pack",
    body: packUploadedBody,
    status: 200,
    response: uploadedResults,
    errors: [
      "DIRECT_TRANSFER_DISABLED",
      "FORBIDDEN",
      "UPLOAD_NOT_FOUND",
      "UPLOAD_GONE",
      "GRANT_EXPIRED",
      "INTEGRITY_MISMATCH",
      "STORAGE_UNAVAILABLE",
    ],
  }),
  keyset: route({
    method: "GET",
    path: "/v1/keyset",
    audience: ["device"],
    summary: "the studio's wrapped keyset",
    status: 200,
    response: keysetView,
  }),
  refPagePut: route({
    method: "PUT",
    path: "/v1/restore-points/:id/refs/:page",
    audience: ["device"],
    summary: "one page of a restore point's chunk references (32-byte ids)",
    params: refPageParams,
    body: "binary",
    status: 204,
    response: "empty",
    errors: ["LENGTH_REQUIRED", "ALREADY_COMMITTED", "TOO_MANY_PENDING_REF_PAGES"],
  }),
  restorePointCommit: route({
    method: "POST",
    path: "/v1/restore-points/:id/commit",
    audience: ["device"],
    summary: "commit a restore point (201, or 200 when already committed)",
    params: id,
    body: commitBody,
    status: 201,
    response: restorePointView,
    errors: ["CHUNKS_MISSING", "REFS_INCOMPLETE", "ALREADY_COMMITTED"],
  }),
  restorePointList: route({
    method: "GET",
    path: "/v1/restore-points",
    audience: ["device"],
    summary: "the studio's newest restore points",
    query: listQuery,
    status: 200,
    response: restorePointList,
  }),
  restorePointGet: route({
    method: "GET",
    path: "/v1/restore-points/:id",
    audience: ["device"],
    summary: "one restore point, or `latest`",
    params: idOrLatest,
    status: 200,
    response: restorePointView,
  }),
  clientVerification: route({
    method: "POST",
    path: "/v1/restore-points/:id/client-verification",
    audience: ["device"],
    summary: "a signed client verify report",
    params: id,
    body: clientReportBody,
    status: 200,
    response: clientReportResultView,
    errors: ["FORBIDDEN", "KEYSET_MISSING"],
  }),
  deviceStudio: route({
    method: "GET",
    path: "/v1/studio",
    audience: ["device"],
    summary: "the device's studio summary",
    status: 200,
    response: studioSummaryView,
  }),
  heartbeat: route({
    method: "POST",
    path: "/v1/heartbeats",
    audience: ["device"],
    summary: "agent heartbeat",
    body: heartbeatBody,
    status: 200,
    response: heartbeatAck,
  }),
  deviceList: route({
    method: "GET",
    path: "/v1/devices",
    audience: ["device"],
    summary: "the studio's devices with their latest heartbeat",
    status: 200,
    response: deviceList,
  }),
  runReport: route({
    method: "PUT",
    path: "/v1/runs/:runId",
    audience: ["device"],
    summary: "report a backup run of this device, at its start and its end (idempotent on the agent's run id; final once it has a result)",
    params: runParams,
    body: runReportBody,
    status: 200,
    response: runReportAck,
  }),

  // Sign-in and one-use links (rate-limited per account and per address).
  signIn: route({
    method: "POST",
    path: "/v1/auth/sign-in",
    audience: ["anonymous"],
    summary: "sign in with e-mail and password (the same 401 whether or not the address has an account)",
    body: signInBody,
    status: 200,
    response: sessionView,
    errors: ["INVALID_CREDENTIALS", "TOTP_REQUIRED", "TOO_MANY_ATTEMPTS", "LIMITS_UNAVAILABLE", "DATABASE_UNAVAILABLE"],
  }),
  refresh: route({
    method: "POST",
    path: "/v1/auth/refresh",
    audience: ["anonymous"],
    summary: "exchange a refresh token (body or cookie) for a new pair",
    body: refreshBody,
    status: 200,
    response: sessionView,
    errors: ["UNAUTHENTICATED", "CSRF_FAILED", "DATABASE_UNAVAILABLE"],
  }),
  acceptInvitation: route({
    method: "POST",
    path: "/v1/auth/invitations/accept",
    audience: ["anonymous"],
    summary: "accept an invitation link (a password is required if the account has none)",
    body: acceptInvitationBody,
    status: 200,
    response: accountView,
    errors: ["LINK_INVALID", "TOO_MANY_ATTEMPTS", "LIMITS_UNAVAILABLE", "DATABASE_UNAVAILABLE"],
  }),
  resetPassword: route({
    method: "POST",
    path: "/v1/auth/password-reset",
    audience: ["anonymous"],
    summary: "set a new password with a reset link; ends every session",
    body: resetPasswordBody,
    status: 200,
    response: accountView,
    errors: ["LINK_INVALID", "TOO_MANY_ATTEMPTS", "LIMITS_UNAVAILABLE", "DATABASE_UNAVAILABLE"],
  }),

  // Any signed-in person.
  logout: route({
    method: "POST",
    path: "/v1/auth/logout",
    audience: PEOPLE,
    summary: "end this sign-in (its refresh tokens stop working)",
    status: 204,
    response: "empty",
  }),
  me: route({
    method: "GET",
    path: "/v1/me",
    audience: PEOPLE,
    summary: "who is signed in, their role and studios",
    status: 200,
    response: meView,
  }),
  totpBegin: route({
    method: "POST",
    path: "/v1/me/totp",
    audience: PEOPLE,
    summary: "begin TOTP enrollment: a new secret and its otpauth URI, shown once (409 once a second factor is in force)",
    status: 201,
    response: totpEnrollmentView,
    errors: ["TOTP_ALREADY_ENABLED"],
  }),
  totpConfirm: route({
    method: "POST",
    path: "/v1/me/totp/confirm",
    audience: PEOPLE,
    summary: "put the TOTP secret in force with a current code; answers the recovery codes, shown once",
    body: totpConfirmBody,
    status: 200,
    response: recoveryCodesView,
    errors: ["TOTP_ALREADY_ENABLED", "TOTP_NOT_STARTED"],
  }),
  changePassword: route({
    method: "POST",
    path: "/v1/me/password",
    audience: PEOPLE,
    summary: "change the password; ends every session",
    body: changePasswordBody,
    status: 204,
    response: "empty",
    errors: ["INVALID_CREDENTIALS"],
  }),

  // A studio, for its owners and for staff.
  studioSummary: route({
    method: "GET",
    path: "/v1/studios/:studioId",
    audience: PEOPLE,
    summary: "the studio's summary: latest and verified restore points, devices, storage, alerts",
    params: studioIdParams,
    status: 200,
    response: studioDeskView,
  }),
  studioRestorePoints: route({
    method: "GET",
    path: "/v1/studios/:studioId/restore-points",
    audience: PEOPLE,
    summary: "the studio's newest restore points",
    params: studioIdParams,
    query: studioRestorePointsQuery,
    status: 200,
    response: restorePointList,
  }),
  studioDevices: route({
    method: "GET",
    path: "/v1/studios/:studioId/devices",
    audience: PEOPLE,
    summary: "the studio's devices",
    params: studioIdParams,
    status: 200,
    response: deviceList,
  }),
  studioAudit: route({
    method: "GET",
    path: "/v1/studios/:studioId/audit",
    audience: PEOPLE,
    summary: "the studio's audit log, support's looks included",
    params: studioIdParams,
    query: auditQuery,
    status: 200,
    response: auditList,
  }),
  studioSupportAccess: route({
    method: "GET",
    path: "/v1/studios/:studioId/support-access",
    audience: ["owner", "admin"],
    summary: "who from support or the operators looked at the studio, when, and at what",
    params: studioIdParams,
    query: supportAccessQuery,
    status: 200,
    response: supportAccessView,
  }),
  studioEnrollmentToken: route({
    method: "POST",
    path: "/v1/studios/:studioId/enrollment-tokens",
    audience: PEOPLE,
    summary: "a one-use enrollment token (support: only once the studio has keys)",
    params: studioIdParams,
    body: enrollmentTokenBody,
    status: 201,
    response: enrollmentTokenView,
    errors: ["FORBIDDEN"],
  }),
  studioDeviceRuns: route({
    method: "GET",
    path: "/v1/studios/:studioId/devices/:deviceId/runs",
    audience: PEOPLE,
    summary: "a device's backup runs, newest first, kept 400 days",
    params: studioDeviceParams,
    query: deviceRunsQuery,
    status: 200,
    response: deviceRunList,
  }),
  studioDeviceRevoke: route({
    method: "POST",
    path: "/v1/studios/:studioId/devices/:deviceId/revoke",
    audience: PEOPLE,
    summary: "revoke a device (support must give a reason)",
    params: studioDeviceParams,
    body: revokeDeviceBody,
    status: 200,
    response: revokedDeviceView,
  }),

  // Restore in the browser (owner portal): the studio's wrapped keyset and its chunks' stored
  // bytes, for its owners only. Both are opaque to the server; the page unlocks and decrypts them
  // with the passphrase or recovery key the owner types (uploader/format/FORMAT.md, "Restore in
  // the browser"). Staff never get them: support sees a studio's metadata, never its data.
  studioKeyset: route({
    method: "GET",
    path: "/v1/studios/:studioId/keyset",
    audience: ["owner"],
    summary: "the studio's wrapped keyset, for its owner's restore in the browser",
    params: studioIdParams,
    status: 200,
    response: keysetView,
  }),
  studioChunkGet: route({
    method: "GET",
    path: "/v1/studios/:studioId/chunks/:id",
    audience: ["owner"],
    summary: "a chunk's stored bytes, for its owner's restore in the browser",
    params: studioChunkParams,
    status: 200,
    response: "binary",
    errors: ["BLOB_MISSING", "BUSY", "STORAGE_UNAVAILABLE"],
  }),

  studioUsage: route({
    method: "GET",
    path: "/v1/studios/:studioId/usage",
    audience: PEOPLE,
    summary: "the studio's stored bytes against its quota: percent and warning level (80 %, 95 %, over, full)",
    params: studioIdParams,
    status: 200,
    response: studioUsageView,
  }),
  studioUsageDays: route({
    method: "GET",
    path: "/v1/studios/:studioId/usage/days",
    audience: PEOPLE,
    summary: "the studio's daily usage rows (UTC days, from..to inclusive, at most 400; default the last 30)",
    params: studioIdParams,
    query: usageDaysQuery,
    status: 200,
    response: usageDaysView,
  }),
  // Alerts (issue 22): the studio's alerts with their delivery log, and who hears of them.
  studioAlerts: route({
    method: "GET",
    path: "/v1/studios/:studioId/alerts",
    audience: PEOPLE,
    summary: "the studio's alerts (open, or all), newest first, with their deliveries",
    params: studioIdParams,
    query: alertListQuery,
    status: 200,
    response: alertList,
  }),
  studioAlertSnooze: route({
    method: "POST",
    path: "/v1/studios/:studioId/alerts/:alertId/snooze",
    audience: PEOPLE,
    summary:
      "snooze one of the studio's open alerts for a bounded time: nothing is sent meanwhile, and it is sent again if still open then (audited)",
    params: studioAlertParams,
    body: alertSnoozeBody,
    status: 200,
    response: alertView,
    errors: ["ALERT_RESOLVED", "FORBIDDEN"],
  }),
  studioAlertSettings: route({
    method: "GET",
    path: "/v1/studios/:studioId/alert-settings",
    audience: PEOPLE,
    summary: "who receives the studio's alert mail, and its webhook (never the secret)",
    params: studioIdParams,
    status: 200,
    response: alertSettingsView,
  }),
  studioAlertSettingsUpdate: route({
    method: "PUT",
    path: "/v1/studios/:studioId/alert-settings",
    audience: ["owner", "admin"],
    summary: "set the owners opted out of alert mail and the webhook URL (audited)",
    params: studioIdParams,
    body: alertSettingsBody,
    status: 200,
    response: alertSettingsView,
  }),
  studioWebhookSecret: route({
    method: "POST",
    path: "/v1/studios/:studioId/alert-settings/webhook-secret",
    audience: ["owner", "admin"],
    summary: "a new webhook signing secret, shown once (audited)",
    params: studioIdParams,
    status: 201,
    response: webhookSecretView,
  }),

  // Support's desk.
  supportAlerts: route({
    method: "GET",
    path: "/v1/support/alerts",
    audience: STAFF,
    summary: "open alerts across studios, oldest first: escalated ones (default) or all",
    query: supportAlertsQuery,
    status: 200,
    response: supportAlertList,
  }),
  supportAlertResend: route({
    method: "POST",
    path: "/v1/support/alerts/:alertId/resend",
    audience: STAFF,
    summary: "send an alert again to the studio's recipients and webhook (audited)",
    params: alertIdParams,
    status: 200,
    response: resentView,
  }),
  supportAlertSnooze: route({
    method: "POST",
    path: "/v1/support/alerts/:alertId/snooze",
    audience: STAFF,
    summary: "snooze any open alert, operator alerts too, for a bounded time (audited)",
    params: alertIdParams,
    body: alertSnoozeBody,
    status: 200,
    response: alertView,
    errors: ["ALERT_RESOLVED"],
  }),
  supportSearch: route({
    method: "GET",
    path: "/v1/support/studios",
    audience: STAFF,
    summary: "find studios by any part of their name, owner e-mail, id or device name",
    query: studioSearchQuery,
    status: 200,
    response: studioSearchView,
  }),

  // Operators.
  adminCreateStudio: route({
    method: "POST",
    path: "/v1/admin/studios",
    audience: ["admin"],
    summary: "create a studio and invite its owner",
    body: createStudioBody,
    status: 201,
    response: createdStudioView,
    errors: ["USER_EXISTS"],
  }),
  adminCreateUser: route({
    method: "POST",
    path: "/v1/admin/users",
    audience: ["admin"],
    summary: "create a staff account and its invitation link",
    body: createUserBody,
    status: 201,
    response: linkView,
    errors: ["USER_EXISTS"],
  }),
  adminSetRole: route({
    method: "PUT",
    path: "/v1/admin/users/:userId/role",
    audience: ["admin"],
    summary: "change a person's staff role (null: none); ends their sessions",
    params: userIdParams,
    body: setRoleBody,
    status: 200,
    response: roleView,
  }),
  adminAudit: route({
    method: "GET",
    path: "/v1/admin/audit",
    audience: ["admin"],
    summary: "the audit log, all studios or one",
    query: adminAuditQuery,
    status: 200,
    response: auditList,
  }),

  // The API's own description, generated from this table (protocol/openapi.ts).
  openapi: route({
    method: "GET",
    path: "/openapi.json",
    audience: ["anonymous"],
    summary: "this API as an OpenAPI 3.1 document, generated from the route table",
    status: 200,
    response: openApiDocumentView,
  }),
  apiDocs: route({
    method: "GET",
    path: "/docs",
    audience: ["anonymous"],
    summary: "this API as a page for people: every route with its audience and error codes",
    status: 200,
    response: "html",
  }),

  // Retention (docs/retention.md): people only; a device can never delete, shorten or undo.
  retentionPolicyGet: route({
    method: "GET",
    path: "/v1/studios/:studioId/retention/policy",
    audience: PEOPLE,
    summary: "the studio's retention policy and the operator's limits",
    params: studioIdParams,
    status: 200,
    response: retentionPolicyView,
  }),
  retentionPolicyPut: route({
    method: "PUT",
    path: "/v1/studios/:studioId/retention/policy",
    audience: ["owner", "admin"],
    summary: "set the retention policy (owners within the operator's limits, admins beyond them; audited)",
    params: studioIdParams,
    body: retentionPolicy,
    status: 200,
    response: retentionPolicyView,
  }),
  retentionPreview: route({
    method: "POST",
    path: "/v1/studios/:studioId/retention/preview",
    audience: PEOPLE,
    summary: "what a policy would keep and expire now, point by point (changes nothing)",
    params: studioIdParams,
    body: retentionPreviewBody,
    status: 200,
    response: retentionPreviewView,
  }),
  retentionState: route({
    method: "GET",
    path: "/v1/studios/:studioId/retention",
    audience: PEOPLE,
    summary: "whether retention is paused, why, and every signal",
    params: studioIdParams,
    status: 200,
    response: retentionStateView,
  }),
  retentionEvents: route({
    method: "GET",
    path: "/v1/studios/:studioId/retention/events",
    audience: PEOPLE,
    summary: "deletions (by policy or a person), undos, purges and holds, newest first",
    params: studioIdParams,
    query: retentionEventsQuery,
    status: 200,
    response: retentionEventList,
  }),
  retentionSignalClose: route({
    method: "POST",
    path: "/v1/studios/:studioId/retention/signals/:signalId/close",
    audience: ["owner", "admin"],
    summary: "close a pause signal (retention resumes once none is open; audited)",
    params: studioSignalParams,
    body: closeSignalBody,
    status: 200,
    response: retentionStateView,
  }),
  restorePointDelete: route({
    method: "POST",
    path: "/v1/studios/:studioId/restore-points/:restorePointId/delete",
    audience: ["owner", "admin"],
    summary: "delete a restore point: soft, restorable and undoable for the grace period (audited)",
    params: studioPointParams,
    body: deletePointBody,
    status: 200,
    response: retentionPointView,
  }),
  restorePointUndelete: route({
    method: "POST",
    path: "/v1/studios/:studioId/restore-points/:restorePointId/undelete",
    audience: PEOPLE,
    summary: "undo a deletion within the grace period (audited)",
    params: studioPointParams,
    status: 200,
    response: retentionPointView,
  }),
  restorePointHold: route({
    method: "POST",
    path: "/v1/studios/:studioId/restore-points/:restorePointId/hold",
    audience: ["owner", "admin"],
    summary: "hold a restore point: kept whatever the policy says until released (audited)",
    params: studioPointParams,
    status: 200,
    response: retentionPointView,
  }),
  restorePointRelease: route({
    method: "POST",
    path: "/v1/studios/:studioId/restore-points/:restorePointId/release",
    audience: ["owner", "admin"],
    summary: "release a hold (audited)",
    params: studioPointParams,
    status: 200,
    response: retentionPointView,
  }),
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof routes;

export const errorView = z.object({ error: z.object({ code: z.string(), message: z.string() }).loose() });
