// The route matrix (issue 19), generated from the route table: every route of protocol/routes.ts
// is called as anonymous, a device of studio A, a device of studio B, an owner of A, an owner of
// B, support and admin, once with A's ids and once with B's, and each answer must be the one the
// table's audience implies: 401 without the right kind of credential, 403 for a role the route
// does not admit, 404 for another tenant's ids (never 403), else the route's own answer, whose
// body must parse with the route's declared response schema. A route without a fixture here fails
// the test (and the type-check: FIXTURES is a Record over every route name).
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { errorCodesOf } from "../../protocol/openapi.ts";
import { DEFAULT_RETENTION_POLICY } from "../../protocol/retention.ts";
import { routes, type RouteName, type RouteSpec } from "../../protocol/routes.ts";
import { admin, newStudio, Pc } from "../support/cli.ts";
import { api, owner, PASSWORD, signIn, staff, type Person } from "../support/people.ts";
import { startServer, type TestServer } from "../support/server.ts";

type Caller = "anonymous" | "deviceA" | "deviceB" | "ownerA" | "ownerB" | "support" | "admin";
type Tenant = "A" | "B";
const CALLERS: Caller[] = ["anonymous", "deviceA", "deviceB", "ownerA", "ownerB", "support", "admin"];

interface Ids {
  studioId: string;
  deviceId: string;
  /** A second device of the studio, the one the revoke route revokes. */
  spareDeviceId: string;
  restorePointId: string;
  rootChunkId: string;
  /** A person (no role, no studio) whose role the admin route changes. */
  userId: string;
}

interface Call {
  path: string;
  body?: unknown;
  raw?: { bytes: Buffer; headers: Record<string, string> };
}

interface Outcome {
  status: number;
  code?: string;
}

interface Fixture {
  /** The request for the target tenant's ids; `as` is the caller's credential, for set-up calls. */
  request(ids: Ids, as: { token: string | null; deviceOf: Tenant | null }): Call | Promise<Call>;
  /** What an admitted caller gets on its own tenant's ids (default: the route's status). */
  own?: Outcome;
  /** What an admitted device gets on the other tenant's ids (default: 404). */
  other?: Outcome;
  /** Anonymous routes: what every caller gets (default: the route's status). */
  everyone?: Outcome;
  /** What a person of this kind gets on its own tenant's ids, where kinds differ (default: `own`). */
  byKind?: Partial<Record<"owner" | "support" | "admin", Outcome>>;
  /** The call ends the caller's session (logout, password change): use a fresh sign-in. */
  freshSession?: boolean;
}

const hex = (b: Buffer) => b.toString("hex");
const relayedPack = () => {
  const data = randomBytes(100);
  const head = Buffer.from(
    JSON.stringify({
      sessionId: randomUUID(),
      chunks: [{ id: hex(randomBytes(32)), size: data.length, sha256: createHash("sha256").update(data).digest("hex") }],
    }),
  );
  return {
    bytes: Buffer.concat([head, data]),
    headers: { "content-type": "application/octet-stream", "x-pack-table-length": String(head.length) },
  };
};
const TOTP_IN_FORCE: Outcome = { status: 409, code: "TOTP_ALREADY_ENABLED" };
const unknownLink = () => `dsl_${randomBytes(32).toString("base64url")}`;

const FIXTURES: Record<RouteName, Fixture> = {
  healthz: { request: () => ({ path: "/healthz" }) },
  readyz: { request: () => ({ path: "/readyz" }) },
  metrics: { request: () => ({ path: "/metrics" }) },
  downloads: { request: () => ({ path: "/downloads" }) },
  // No release is published in this test server: every caller gets the same 404.
  downloadFile: { request: () => ({ path: "/downloads/release.json" }), everyone: { status: 404, code: "NOT_FOUND" } },
  enrollmentLookup: {
    request: () => ({ path: "/v1/enrollments/lookup", body: { token: "dse_not-a-token-at-all" } }),
    everyone: { status: 401, code: "TOKEN_INVALID" },
  },
  enroll: {
    request: () => ({
      path: "/v1/enrollments",
      body: { token: "dse_not-a-token-at-all", deviceName: "x", signPublicKey: "AAAA", certificate: {} },
    }),
    everyone: { status: 401, code: "TOKEN_INVALID" },
  },
  deviceChallenge: { request: (ids) => ({ path: "/v1/devices/challenge", body: { deviceId: ids.deviceId } }) },
  deviceToken: {
    request: (ids) => ({
      path: "/v1/devices/token",
      body: { deviceId: ids.deviceId, nonce: "A".repeat(32), signature: `${"A".repeat(86)}==` },
    }),
    everyone: { status: 401, code: "CHALLENGE_INVALID" },
  },
  chunksMissing: {
    request: (ids) => ({ path: "/v1/chunks/missing", body: { ids: [ids.rootChunkId], sessionId: randomUUID() } }),
    other: { status: 200 },
  },
  chunkDownloadUrls: { request: (ids) => ({ path: "/v1/chunks/download-urls", body: { ids: [ids.rootChunkId] } }), other: { status: 200 } },
  chunkGet: { request: (ids) => ({ path: `/v1/chunks/${ids.rootChunkId}` }) },
  packPut: { request: () => ({ path: "/v1/packs", raw: relayedPack() }), other: { status: 200 } },
  packUploadUrl: {
    request: () => ({
      path: "/v1/packs/upload-url",
      body: { size: 100, sha256: hex(randomBytes(32)), tableSha256: hex(randomBytes(32)), sessionId: randomUUID() },
    }),
    other: { status: 200 },
  },
  packUploaded: {
    request: () => ({
      path: "/v1/packs/uploaded",
      body: {
        key: "packs/none",
        sha256: hex(randomBytes(32)),
        chunks: [{ id: hex(randomBytes(32)), size: 1, sha256: hex(randomBytes(32)) }],
      },
    }),
    own: { status: 409, code: "DIRECT_TRANSFER_DISABLED" },
    other: { status: 409, code: "DIRECT_TRANSFER_DISABLED" },
  },
  keyset: { request: () => ({ path: "/v1/keyset" }), other: { status: 200 } },
  refPagePut: {
    request: (ids) => ({
      path: `/v1/restore-points/${randomUUID()}/refs/0`,
      raw: { bytes: Buffer.from(ids.rootChunkId, "hex"), headers: { "content-type": "application/octet-stream" } },
    }),
    other: { status: 204 },
  },
  restorePointCommit: {
    // A real commit of a new restore point referencing the target tenant's manifest root: it
    // succeeds in that studio, and in the other one the chunk is simply not there.
    async request(ids, as) {
      const id = randomUUID();
      if (as.deviceOf) {
        const put = await fetch(`${server.url}/v1/restore-points/${id}/refs/0`, {
          method: "PUT",
          headers: { authorization: `Bearer ${as.token}`, "content-type": "application/octet-stream" },
          body: new Uint8Array(Buffer.from(ids.rootChunkId, "hex")),
        });
        assert.equal(put.status, 204);
      }
      return {
        path: `/v1/restore-points/${id}/commit`,
        body: { files: 1, bytes: 1, rootChunkId: ids.rootChunkId, refPages: 1, refCount: 1 },
      };
    },
    other: { status: 409, code: "CHUNKS_MISSING" },
  },
  restorePointList: { request: () => ({ path: "/v1/restore-points" }), other: { status: 200 } },
  restorePointGet: { request: (ids) => ({ path: `/v1/restore-points/${ids.restorePointId}` }) },
  // No report is signed with the studio key here, so the answer is the signature's refusal; it
  // comes before the id is looked up, in either studio.
  clientVerification: {
    request: (ids) => ({
      path: `/v1/restore-points/${ids.restorePointId}/client-verification`,
      body: { report: "{}", signature: `${"A".repeat(86)}==` },
    }),
    own: { status: 403, code: "FORBIDDEN" },
    other: { status: 403, code: "FORBIDDEN" },
  },
  deviceStudio: { request: () => ({ path: "/v1/studio" }), other: { status: 200 } },
  heartbeat: {
    request: () => ({
      path: "/v1/heartbeats",
      body: { agentVersion: "1.0.0", os: "linux", state: "idle", nextRunAt: null, lastRun: null, lastSuccessAt: null },
    }),
    other: { status: 200 },
  },
  deviceList: { request: () => ({ path: "/v1/devices" }), other: { status: 200 } },
  // The run names the target tenant's restore point: recorded in its own studio, 404 in the other.
  runReport: {
    request: (ids) => ({
      path: `/v1/runs/${randomUUID()}`,
      body: {
        trigger: "manual",
        startedAt: new Date(Date.now() - 60_000).toISOString(),
        finishedAt: new Date().toISOString(),
        result: "success",
        errorCode: null,
        restorePointId: ids.restorePointId,
      },
    }),
  },

  signIn: {
    request: () => ({ path: "/v1/auth/sign-in", body: { email: "owner-a@matrix.test", password: "not the password" } }),
    everyone: { status: 401, code: "INVALID_CREDENTIALS" },
  },
  refresh: {
    request: () => ({ path: "/v1/auth/refresh", body: { refreshToken: `dsr_${randomBytes(32).toString("base64url")}` } }),
    everyone: { status: 401, code: "UNAUTHENTICATED" },
  },
  acceptInvitation: {
    request: () => ({ path: "/v1/auth/invitations/accept", body: { token: unknownLink(), password: "a new long password" } }),
    everyone: { status: 401, code: "LINK_INVALID" },
  },
  resetPassword: {
    request: () => ({ path: "/v1/auth/password-reset", body: { token: unknownLink(), password: "a new long password" } }),
    everyone: { status: 401, code: "LINK_INVALID" },
  },

  logout: { request: () => ({ path: "/v1/auth/logout" }), freshSession: true },
  me: { request: () => ({ path: "/v1/me" }) },
  // Owners: each call replaces their unconfirmed secret, and a code that is not the current one is
  // refused (a one-in-a-million chance that 000000 is it). Staff enrolled theirs (support/people.ts).
  totpBegin: { request: () => ({ path: "/v1/me/totp" }), byKind: { support: TOTP_IN_FORCE, admin: TOTP_IN_FORCE } },
  totpConfirm: {
    request: () => ({ path: "/v1/me/totp/confirm", body: { code: "000000" } }),
    own: { status: 400, code: "VALIDATION_FAILED" },
    byKind: { support: TOTP_IN_FORCE, admin: TOTP_IN_FORCE },
  },
  changePassword: {
    request: () => ({ path: "/v1/me/password", body: { currentPassword: PASSWORD, newPassword: PASSWORD } }),
    freshSession: true,
  },

  studioSummary: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}` }) },
  studioRestorePoints: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/restore-points` }) },
  studioDevices: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/devices` }) },
  studioAudit: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/audit` }) },
  studioKeyset: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/keyset` }) },
  studioChunkGet: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/chunks/${ids.rootChunkId}` }) },
  studioEnrollmentToken: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/enrollment-tokens`, body: {} }) },
  studioSupportAccess: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/support-access` }) },
  studioDeviceRuns: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/devices/${ids.deviceId}/runs` }) },
  studioDeviceRevoke: {
    request: (ids) => ({ path: `/v1/studios/${ids.studioId}/devices/${ids.spareDeviceId}/revoke`, body: { reason: "route matrix" } }),
  },

  studioUsage: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/usage` }) },
  studioUsageDays: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/usage/days?from=2026-01-01&to=2026-12-31` }) },
  studioAlerts: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/alerts?state=all` }) },
  // No alert is open in the matrix's studios: an unknown alert id is 404 for every caller admitted
  // (test/integration/alert-snooze.test.ts snoozes real ones).
  studioAlertSnooze: {
    request: (ids) => ({ path: `/v1/studios/${ids.studioId}/alerts/${randomUUID()}/snooze`, body: { hours: 24 } }),
    own: { status: 404, code: "NOT_FOUND" },
  },
  studioAlertSettings: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/alert-settings` }) },
  studioAlertSettingsUpdate: {
    request: (ids) => ({ path: `/v1/studios/${ids.studioId}/alert-settings`, body: { webhookUrl: "https://hooks.matrix.test/datasafe" } }),
  },
  studioWebhookSecret: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/alert-settings/webhook-secret` }) },

  supportSearch: { request: (ids) => ({ path: `/v1/support/studios?q=${ids.studioId.slice(0, 8)}` }) },
  supportAlerts: { request: () => ({ path: "/v1/support/alerts?scope=open" }) },
  // No alert is open in the matrix's studios: an unknown alert id is 404 for the staff it admits
  // (test/integration/alerts-api.test.ts resends a real one).
  supportAlertSnooze: {
    request: () => ({ path: `/v1/support/alerts/${randomUUID()}/snooze`, body: { hours: 24 } }),
    own: { status: 404, code: "NOT_FOUND" },
  },
  supportAlertResend: { request: () => ({ path: `/v1/support/alerts/${randomUUID()}/resend` }), own: { status: 404, code: "NOT_FOUND" } },

  adminCreateStudio: {
    request: () => ({ path: "/v1/admin/studios", body: { name: "Matrix Studio", ownerEmail: `o-${randomUUID()}@matrix.test` } }),
  },
  adminCreateUser: { request: () => ({ path: "/v1/admin/users", body: { email: `s-${randomUUID()}@matrix.test`, role: "support" } }) },
  adminSetRole: { request: (ids) => ({ path: `/v1/admin/users/${ids.userId}/role`, body: { role: null } }) },
  adminAudit: { request: () => ({ path: "/v1/admin/audit" }) },

  openapi: { request: () => ({ path: "/openapi.json" }) },
  apiDocs: { request: () => ({ path: "/docs" }) },
  // Retention: the defaults are within the operator's limits, so owners may set them; the point
  // routes act on the target's first restore point (not its device's newest: the commit route
  // above added newer ones), each repeat a no-op; no signal is open, so closing one is 404.
  retentionPolicyGet: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/retention/policy` }) },
  retentionPolicyPut: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/retention/policy`, body: DEFAULT_RETENTION_POLICY }) },
  retentionPreview: {
    request: (ids) => ({ path: `/v1/studios/${ids.studioId}/retention/preview`, body: { policy: DEFAULT_RETENTION_POLICY } }),
  },
  retentionState: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/retention` }) },
  retentionEvents: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/retention/events` }) },
  retentionSignalClose: {
    request: (ids) => ({ path: `/v1/studios/${ids.studioId}/retention/signals/${randomUUID()}/close`, body: { note: "matrix" } }),
    own: { status: 404, code: "NOT_FOUND" },
  },
  restorePointDelete: {
    request: (ids) => ({ path: `/v1/studios/${ids.studioId}/restore-points/${ids.restorePointId}/delete`, body: { reason: "matrix" } }),
  },
  restorePointUndelete: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/restore-points/${ids.restorePointId}/undelete` }) },
  restorePointHold: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/restore-points/${ids.restorePointId}/hold` }) },
  restorePointRelease: { request: (ids) => ({ path: `/v1/studios/${ids.studioId}/restore-points/${ids.restorePointId}/release` }) },
};

let server: TestServer;

function kindOf(c: Caller): "anonymous" | "device" | "owner" | "support" | "admin" {
  if (c === "deviceA" || c === "deviceB") return "device";
  if (c === "ownerA" || c === "ownerB") return "owner";
  return c;
}
const tenantOf = (c: Caller): Tenant | null => (c.endsWith("A") ? "A" : c.endsWith("B") ? "B" : null);

/** The answer the route table implies for this caller and these ids. */
function expected(spec: RouteSpec, fx: Fixture, caller: Caller, target: Tenant): Outcome {
  const a = spec.audience;
  const kind = kindOf(caller);
  if (a.includes("anonymous")) return fx.everyone ?? { status: spec.status };
  if (a.includes("device")) {
    if (kind !== "device") return { status: 401 };
    return tenantOf(caller) === target ? (fx.own ?? { status: spec.status }) : (fx.other ?? { status: 404, code: "NOT_FOUND" });
  }
  if (kind === "anonymous" || kind === "device") return { status: 401 };
  if (!a.includes(kind)) return { status: 403, code: "FORBIDDEN" };
  if (spec.path.includes(":studioId") && kind === "owner" && tenantOf(caller) !== target) return { status: 404, code: "NOT_FOUND" };
  return (kind === "owner" || kind === "support" || kind === "admin" ? fx.byKind?.[kind] : undefined) ?? fx.own ?? { status: spec.status };
}

describe("route matrix: every route, every kind of caller, both tenants", () => {
  const ids = {} as Record<Tenant, Ids>;
  const deviceTokens = {} as Record<Tenant, string>;
  const people = {} as Record<"ownerA" | "ownerB" | "support" | "admin", Person>;

  before(async () => {
    // Sign-ins are many here (fresh sessions); the limits have their own test.
    server = await startServer({ env: { SIGN_IN_LIMIT_PER_ACCOUNT: "10000", SIGN_IN_LIMIT_PER_ADDRESS: "10000" } });
    for (const t of ["A", "B"] as const) {
      const studio = await newStudio(server, `Studio ${t}`);
      const pc = await Pc.create(server);
      assert.equal((await pc.run(["enroll", "--token", await studio.token(), "--name", `pc-${t}`])).code, 0);
      const spare = await Pc.create(server);
      assert.equal((await spare.run(["enroll", "--token", await studio.token(), "--name", `spare-${t}`])).code, 0);
      const src = path.join(server.dir, `files-${t}`);
      await mkdir(src);
      await writeFile(path.join(src, "a.txt"), `studio ${t}\n`);
      const backup = await pc.run(["backup", src]);
      assert.equal(backup.code, 0, backup.stderr);
      const state = JSON.parse(await readFile(path.join(pc.home, "device.json"), "utf8")) as { accessToken: string; deviceId: string };
      const spareState = JSON.parse(await readFile(path.join(spare.home, "device.json"), "utf8")) as { deviceId: string };
      deviceTokens[t] = state.accessToken;
      const restorePointId = String(backup.json.restorePointId);
      const rp = await api(server, "GET", `/v1/restore-points/${restorePointId}`, { token: state.accessToken });
      const target = await admin(server, ["invite-owner", "--studio", studio.studioId, "--email", `target-${t.toLowerCase()}@matrix.test`]);
      ids[t] = {
        studioId: studio.studioId,
        deviceId: state.deviceId,
        spareDeviceId: spareState.deviceId,
        restorePointId,
        rootChunkId: rp.body.rootChunkId as string,
        userId: target.json.userId as string,
      };
    }
    people.ownerA = await owner(server, ids.A.studioId, "owner-a@matrix.test");
    people.ownerB = await owner(server, ids.B.studioId, "owner-b@matrix.test");
    people.support = await staff(server, "support@matrix.test", "support");
    people.admin = await staff(server, "admin@matrix.test", "admin");
  });
  after(async () => server?.stop());

  it("has a fixture for every route of the table", () => {
    const missing = Object.keys(routes).filter((n) => !(n in FIXTURES));
    assert.deepEqual(missing, [], "routes that are not in the matrix");
  });

  for (const name of Object.keys(routes) as RouteName[]) {
    it(`${routes[name].method} ${routes[name].path}`, async () => {
      const spec: RouteSpec = routes[name];
      const fx = FIXTURES[name];
      const failures: string[] = [];
      for (const caller of CALLERS) {
        for (const target of ["A", "B"] as const) {
          const kind = kindOf(caller);
          let token: string | null = null;
          if (kind === "device") token = deviceTokens[tenantOf(caller)!];
          else if (kind !== "anonymous") {
            const p = people[caller as keyof typeof people];
            token = fx.freshSession ? (await signIn(server, p.email)).accessToken : p.accessToken;
          }
          const call = await fx.request(ids[target], { token, deviceOf: kind === "device" ? tenantOf(caller) : null });
          const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}) };
          let body: BodyInit | undefined;
          if (call.raw) {
            Object.assign(headers, call.raw.headers);
            body = new Uint8Array(call.raw.bytes);
          } else if (call.body !== undefined) {
            headers["content-type"] = "application/json";
            body = JSON.stringify(call.body);
          }
          const res = await fetch(`${server.url}${call.path}`, { method: spec.method, headers, ...(body === undefined ? {} : { body }) });
          const text = await res.text();
          const want = expected(spec, fx, caller, target);
          const label = `${caller} on ${target}'s ids`;
          if (res.status !== want.status) {
            failures.push(`${label}: ${res.status} ${text.slice(0, 200)}, expected ${want.status}`);
            continue;
          }
          if (res.status >= 400) {
            const code = (JSON.parse(text) as { error: { code: string } }).error.code;
            if (want.code && code !== want.code) failures.push(`${label}: code ${code}, expected ${want.code}`);
            // What /openapi.json and /docs list for the route (protocol/openapi.ts) must include what it answers.
            if (!errorCodesOf(spec).includes(code as never))
              failures.push(`${label}: code ${code} is not among the route's documented errors`);
          } else if (spec.response instanceof z.ZodType) {
            const parsed = spec.response.safeParse(JSON.parse(text));
            if (!parsed.success)
              failures.push(`${label}: answer does not match the declared schema: ${parsed.error.message.slice(0, 300)}`);
          }
          if (fx.freshSession && kind !== "anonymous" && kind !== "device") {
            // The call may have ended every other session of the caller: sign in again.
            const p = people[caller as keyof typeof people];
            Object.assign(p, await signIn(server, p.email));
          }
        }
      }
      assert.deepEqual(failures, []);
    });
  }

  it("an owner reads no other studio's chunk through their own studio's path (404, as for none)", async () => {
    const r = await api(server, "GET", `/v1/studios/${ids.A.studioId}/chunks/${ids.B.rootChunkId}`, { token: people.ownerA.accessToken });
    assert.equal(r.status, 404);
    const own = await api(server, "GET", `/v1/studios/${ids.A.studioId}/chunks/${ids.A.rootChunkId}`, { token: people.ownerA.accessToken });
    assert.equal(own.status, 200);
  });

  it("the chunk answered to studio B's device stays unknown to it (no existence leak through dedup)", async () => {
    const r = await api(server, "POST", "/v1/chunks/missing", {
      token: deviceTokens.B,
      body: { ids: [ids.A.rootChunkId], sessionId: randomUUID() },
    });
    assert.deepEqual(r.body.missing, [ids.A.rootChunkId]);
  });
});
