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
import {
  alertIdParams,
  alertList,
  alertListQuery,
  alertSettingsBody,
  alertSettingsView,
  resentView,
  supportAlertList,
  supportAlertsQuery,
  webhookSecretView,
} from "./alerts.ts";
import { clientReportBody } from "./integrity-schemas.ts";
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
import { supportAccessQuery, supportAccessView } from "./support-access.ts";
import { recoveryCodesView, totpConfirmBody, totpEnrollmentView } from "./totp.ts";
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
/** Bytes rather than JSON: a pack's body, a chunk's content, the metrics text, or no body (204). */
export type Raw = "binary" | "text" | "empty";

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
}

const id = z.object({ id: z.uuid() });
const chunkParams = z.object({ id: z.string().regex(/^[0-9a-f]{64}$/) });
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
  }),
  enroll: route({
    method: "POST",
    path: "/v1/enrollments",
    audience: ["anonymous"],
    summary: "enroll a device with a one-use token",
    body: enrollBody,
    status: 201,
    response: enrollmentView,
  }),
  deviceChallenge: route({
    method: "POST",
    path: "/v1/devices/challenge",
    audience: ["anonymous"],
    summary: "a challenge for token renewal",
    body: deviceChallengeBody,
    status: 200,
    response: deviceChallengeView,
  }),
  deviceToken: route({
    method: "POST",
    path: "/v1/devices/token",
    audience: ["anonymous"],
    summary: "a fresh device token for a signed challenge",
    body: deviceTokenBody,
    status: 200,
    response: deviceTokenView,
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
  }),
  packPut: route({
    method: "PUT",
    path: "/v1/packs",
    audience: ["device"],
    summary: "a relayed pack: its table as JSON (X-Pack-Table-Length bytes), then its bytes",
    body: "binary",
    status: 200,
    response: uploadedResults,
  }),
  packUploadUrl: route({
    method: "POST",
    path: "/v1/packs/upload-url",
    audience: ["device"],
    summary: "a grant to upload one pack",
    body: packUploadUrlBody,
    status: 200,
    response: uploadGrantView,
  }),
  packUploaded: route({
    method: "POST",
    path: "/v1/packs/uploaded",
    audience: ["device"],
    summary: "report a directly uploaded pack",
    body: packUploadedBody,
    status: 200,
    response: uploadedResults,
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
  }),
  refresh: route({
    method: "POST",
    path: "/v1/auth/refresh",
    audience: ["anonymous"],
    summary: "exchange a refresh token (body or cookie) for a new pair",
    body: refreshBody,
    status: 200,
    response: sessionView,
  }),
  acceptInvitation: route({
    method: "POST",
    path: "/v1/auth/invitations/accept",
    audience: ["anonymous"],
    summary: "accept an invitation link (a password is required if the account has none)",
    body: acceptInvitationBody,
    status: 200,
    response: accountView,
  }),
  resetPassword: route({
    method: "POST",
    path: "/v1/auth/password-reset",
    audience: ["anonymous"],
    summary: "set a new password with a reset link; ends every session",
    body: resetPasswordBody,
    status: 200,
    response: accountView,
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
  }),
  totpConfirm: route({
    method: "POST",
    path: "/v1/me/totp/confirm",
    audience: PEOPLE,
    summary: "put the TOTP secret in force with a current code; answers the recovery codes, shown once",
    body: totpConfirmBody,
    status: 200,
    response: recoveryCodesView,
  }),
  changePassword: route({
    method: "POST",
    path: "/v1/me/password",
    audience: PEOPLE,
    summary: "change the password; ends every session",
    body: changePasswordBody,
    status: 204,
    response: "empty",
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
  }),
  adminCreateUser: route({
    method: "POST",
    path: "/v1/admin/users",
    audience: ["admin"],
    summary: "create a staff account and its invitation link",
    body: createUserBody,
    status: 201,
    response: linkView,
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
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof routes;

export const errorView = z.object({ error: z.object({ code: z.string(), message: z.string() }).loose() });
