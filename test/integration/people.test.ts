// People and roles end to end (issue 19): invitations and resets, the web app's cookies and CSRF,
// the rules of support (reason to revoke, no first-device token), role changes ending sessions,
// and an audit row for each audited action, which owners read for their studio and operators
// through datasafe-admin audit. The log is append-only in the database itself.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { admin, Pc } from "../support/cli.ts";
import { acceptLink, api, linkToken, PASSWORD, signIn, staff, type Person } from "../support/people.ts";
import { startServer, type TestServer } from "../support/server.ts";

describe("people, roles and the audit log", () => {
  let server: TestServer;
  let studioId: string;
  let ownerP: Person;
  let support: Person;
  let adminP: Person;
  let db: pg.Client;
  let releasesDir: string;

  const actions = async (studio?: string): Promise<string[]> =>
    (
      await db.query<{ action: string }>(`SELECT action FROM "AuditEvent" ${studio ? `WHERE "studioId" = '${studio}'` : ""} ORDER BY id`)
    ).rows.map((r) => r.action);

  before(async () => {
    releasesDir = await mkdtemp(path.join(os.tmpdir(), "datasafe-releases-"));
    server = await startServer({ role: "api", env: { RELEASES_DIR: releasesDir } });
    db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    const created = await admin(server, ["create-studio", "--name", "Acme Photo", "--owner-email", "Owner@Acme.test"]);
    assert.equal(created.code, 0, created.stderr);
    studioId = created.json.studioId as string;
    const link = (created.json.invitation as { link: string }).link;
    assert.match(link, /^http:\/\/localhost:\d+\/invitation#token=dsl_/);
    const noPassword = await api(server, "POST", "/v1/auth/invitations/accept", { body: { token: linkToken(link) } });
    assert.equal(noPassword.status, 400, "an account without a password must choose one");
    const userId = await acceptLink(server, link);
    ownerP = { email: "owner@acme.test", password: PASSWORD, userId, ...(await signIn(server, "owner@acme.test")) };
    assert.equal(
      (await api(server, "POST", "/v1/auth/invitations/accept", { body: { token: linkToken(link), password: PASSWORD } })).status,
      401,
      "a link works once",
    );
    support = await staff(server, "support@datasafe.test", "support");
    adminP = await staff(server, "admin@datasafe.test", "admin");
  });
  after(async () => {
    await db?.end();
    await server?.stop();
    if (releasesDir) await rm(releasesDir, { recursive: true, force: true });
  });

  it("an owner sees their studio; /v1/me lists it", async () => {
    const me = await api(server, "GET", "/v1/me", { token: ownerP.accessToken });
    assert.deepEqual(me.body, {
      userId: ownerP.userId,
      email: "owner@acme.test",
      role: "owner",
      studios: [{ id: studioId, name: "Acme Photo" }],
    });
  });

  it("support cannot hand out the first device's token; the owner can; support's revocation needs a reason", async () => {
    const bySupport = await api(server, "POST", `/v1/studios/${studioId}/enrollment-tokens`, { token: support.accessToken, body: {} });
    assert.equal(bySupport.status, 403);
    const byOwner = await api(server, "POST", `/v1/studios/${studioId}/enrollment-tokens`, {
      token: ownerP.accessToken,
      body: { ttlSeconds: 600 },
    });
    assert.equal(byOwner.status, 201);
    const pc = await Pc.create(server);
    assert.equal((await pc.run(["enroll", "--token", byOwner.body.token as string, "--name", "front-desk"])).code, 0);
    const deviceId = (JSON.parse(readFileSync(path.join(pc.home, "device.json"), "utf8")) as { deviceId: string }).deviceId;
    // With keys in place, support may issue tokens.
    assert.equal(
      (await api(server, "POST", `/v1/studios/${studioId}/enrollment-tokens`, { token: support.accessToken, body: {} })).status,
      201,
    );

    const noReason = await api(server, "POST", `/v1/studios/${studioId}/devices/${deviceId}/revoke`, {
      token: support.accessToken,
      body: {},
    });
    assert.equal(noReason.status, 400);
    const revoked = await api(server, "POST", `/v1/studios/${studioId}/devices/${deviceId}/revoke`, {
      token: support.accessToken,
      body: { reason: "caller says the PC was sold" },
    });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.alreadyRevoked, false);

    // The owners see who from support looked and what they did.
    const log = await api(server, "GET", `/v1/studios/${studioId}/audit`, { token: ownerP.accessToken });
    const events = log.body.events as Array<{ action: string; actorLabel: string; actorRole: string; details: unknown }>;
    const revocation = events.find((e) => e.action === "device.revoked");
    assert.deepEqual(revocation && { by: revocation.actorLabel, role: revocation.actorRole, details: revocation.details }, {
      by: "support@datasafe.test",
      role: "support",
      details: { name: "front-desk", reason: "caller says the PC was sold" },
    });
    assert.equal((await api(server, "GET", `/v1/studios/${studioId}`, { token: support.accessToken })).status, 200);
    const after = (await api(server, "GET", `/v1/studios/${studioId}/audit`, { token: ownerP.accessToken })).body.events as typeof events;
    assert.ok(after.some((e) => e.action === "support.lookup" && e.actorLabel === "support@datasafe.test"));
  });

  it("support finds a studio by any part of its name, owner e-mail, id or device name, in any case", async () => {
    const find = async (q: string) =>
      (
        ((await api(server, "GET", `/v1/support/studios?q=${encodeURIComponent(q)}`, { token: support.accessToken })).body
          .studios as Array<{ id: string }>) ?? []
      ).map((s) => s.id);
    for (const q of ["acme", "ME PHO", "OWNER@acme", studioId.slice(9, 18).toUpperCase(), "FRONT-D"])
      assert.deepEqual(await find(q), [studioId], q);
    assert.deepEqual(await find("%"), [], "wildcards are matched as themselves");
    assert.deepEqual(await find("no such studio"), []);
    assert.equal((await api(server, "GET", "/v1/support/studios?q=acme", { token: ownerP.accessToken })).status, 403);
  });

  it("the studio summary: latest restore point, devices, storage used as a counter equal to the stored chunks", async () => {
    const token = (await api(server, "POST", `/v1/studios/${studioId}/enrollment-tokens`, { token: ownerP.accessToken, body: {} })).body
      .token as string;
    const pc = await Pc.create(server);
    assert.equal((await pc.run(["enroll", "--token", token, "--name", "office"])).code, 0);
    const src = path.join(server.dir, "summary-files");
    await mkdir(src);
    await writeFile(path.join(src, "a.bin"), Buffer.alloc(300_000, 7));
    await writeFile(path.join(src, "b.txt"), "hello\n");
    const backup = await pc.run(["backup", src]);
    assert.equal(backup.code, 0, backup.stderr);
    const summary = await api(server, "GET", `/v1/studios/${studioId}`, { token: support.accessToken });
    assert.equal(summary.status, 200);
    const b = summary.body as {
      storedBytes: number;
      latest: { id: string; files: number };
      devices: Array<{ name: string }>;
      secondsSinceLastBackup: number;
      hasKeys: boolean;
    };
    const stored = await db.query<{ n: string }>(`SELECT coalesce(sum(size), 0)::text AS n FROM "Chunk" WHERE "studioId" = $1`, [studioId]);
    assert.ok(b.storedBytes > 0);
    assert.equal(b.storedBytes, Number(stored.rows[0]!.n));
    assert.equal(b.latest.id, backup.json.restorePointId);
    assert.equal(b.latest.files, 2);
    assert.ok(b.devices.some((d) => d.name === "office"));
    assert.ok(b.secondsSinceLastBackup >= 0 && b.secondsSinceLastBackup < 120);
    assert.equal(b.hasKeys, true);
  });

  it("the studio summary says which devices run an uploader older than the hosted release, and since when", async () => {
    const summary = async () =>
      (await api(server, "GET", `/v1/studios/${studioId}`, { token: support.accessToken })).body as {
        release: { version: string; publishedAt: string } | null;
        devices: Array<{ name: string; update: { behind: boolean; since: string | null } | null }>;
      };
    const office = async () => (await summary()).devices.find((d) => d.name === "office")!;
    assert.equal((await summary()).release, null, "no release hosted yet");
    assert.equal((await office()).update, null);
    const signedAt = "2026-11-20T10:00:00.000Z";
    const hex = "ab".repeat(32);
    await writeFile(
      path.join(releasesDir, "release.json"),
      JSON.stringify({
        version: "0.10.0",
        node: "24.21.0",
        bundleSha256: hex,
        workerSha256: hex,
        files: [{ name: "datasafe-linux-x64", target: "linux-x64", size: 1, sha256: hex }],
        signedAt,
        expiresAt: "2027-11-20T10:00:00.000Z",
      }),
    );
    const setVersion = (v: string) =>
      db.query(
        `INSERT INTO "DeviceHeartbeat" ("deviceId", "studioId", "receivedAt", "agentVersion", os, state)
         SELECT id, "studioId", now(), $2, 'linux', 'idle' FROM "Device" WHERE "studioId" = $1 AND name = 'office'
         ON CONFLICT ("deviceId") DO UPDATE SET "agentVersion" = $2`,
        [studioId, v],
      );
    await setVersion("0.9.3");
    assert.deepEqual((await summary()).release, { version: "0.10.0", publishedAt: signedAt });
    assert.deepEqual((await office()).update, { behind: true, since: signedAt });
    await setVersion("0.10.0");
    assert.deepEqual((await office()).update, { behind: false, since: null });
    await setVersion("checkout");
    assert.equal((await office()).update, null, "a version that is not MAJOR.MINOR.PATCH is not judged");
  });

  it("cookies for the web app: HttpOnly, Secure, SameSite=Strict, and CSRF on every change", async () => {
    const res = await fetch(`${server.url}/v1/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: ownerP.email, password: PASSWORD, mode: "cookie" }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.accessToken, undefined, "no token the page's scripts could read");
    const setCookies = res.headers.getSetCookie();
    const jar = setCookies.map((c) => c.split(";")[0]).join("; ");
    for (const name of ["__Host-ds_access", "__Host-ds_refresh"]) {
      const c = setCookies.find((x) => x.startsWith(`${name}=`))!;
      assert.match(c, /HttpOnly/);
      assert.match(c, /Secure/);
      assert.match(c, /SameSite=Strict/);
      assert.match(c, /Path=\//);
    }
    assert.equal((await api(server, "GET", "/v1/me", { headers: { cookie: jar } })).status, 200);
    const forged = await api(server, "POST", `/v1/studios/${studioId}/enrollment-tokens`, { headers: { cookie: jar }, body: {} });
    assert.equal(forged.status, 403);
    assert.equal((forged.body.error as { code: string }).code, "CSRF_FAILED");
    const ok = await api(server, "POST", `/v1/studios/${studioId}/enrollment-tokens`, {
      headers: { cookie: jar, "x-csrf-token": body.csrfToken as string },
      body: {},
    });
    assert.equal(ok.status, 201);
    assert.equal(
      (await api(server, "POST", "/v1/auth/refresh", { headers: { cookie: jar }, body: {} })).status,
      403,
      "refresh by cookie needs the CSRF token too",
    );
    const refreshed = await api(server, "POST", "/v1/auth/refresh", {
      headers: { cookie: jar, "x-csrf-token": body.csrfToken as string },
      body: {},
    });
    assert.equal(refreshed.status, 200);
  });

  it("a role change ends the person's sessions; a reset link sets a new password and ends them too", async () => {
    const changed = await api(server, "PUT", `/v1/admin/users/${support.userId}/role`, {
      token: adminP.accessToken,
      body: { role: "admin" },
    });
    assert.equal(changed.status, 200);
    assert.deepEqual(changed.body, { userId: support.userId, role: "admin", sessionsRevoked: 1 });
    assert.equal((await api(server, "GET", "/v1/me", { token: support.accessToken })).status, 401);
    assert.equal(
      (await api(server, "PUT", `/v1/admin/users/${support.userId}/role`, { token: ownerP.accessToken, body: { role: null } })).status,
      403,
    );

    const reset = await admin(server, ["reset-password", "--email", ownerP.email]);
    assert.equal(reset.code, 0, reset.stderr);
    const r = await api(server, "POST", "/v1/auth/password-reset", {
      body: { token: linkToken(reset.json.link as string), password: "a brand new long password" },
    });
    assert.equal(r.status, 200);
    assert.equal((await api(server, "GET", "/v1/me", { token: ownerP.accessToken })).status, 401);
    assert.equal((await api(server, "POST", "/v1/auth/sign-in", { body: { email: ownerP.email, password: PASSWORD } })).status, 401);
    Object.assign(ownerP, await signIn(server, ownerP.email, "a brand new long password"), { password: "a brand new long password" });

    const pw = await api(server, "POST", "/v1/me/password", {
      token: ownerP.accessToken,
      body: { currentPassword: "a brand new long password", newPassword: PASSWORD },
    });
    assert.equal(pw.status, 204);
    assert.equal((await api(server, "GET", "/v1/me", { token: ownerP.accessToken })).status, 200, "the session that changed it stays");
  });

  it("every audited action left its row, and datasafe-admin audit prints them", async () => {
    await api(server, "POST", "/v1/auth/sign-in", { body: { email: ownerP.email, password: "wrong wrong wrong" } });
    const s = await signIn(server, ownerP.email);
    await api(server, "POST", "/v1/auth/refresh", { body: { refreshToken: s.refreshToken } });
    await api(server, "POST", "/v1/auth/refresh", { body: { refreshToken: s.refreshToken } }); // reused
    await api(server, "POST", "/v1/auth/logout", { token: ownerP.accessToken });
    const all = new Set(await actions());
    for (const action of [
      "studio.created",
      "invitation.created",
      "invitation.accepted",
      "sign-in",
      "sign-in.failed",
      "support.lookup",
      "enrollment-token.created",
      "device.enrolled",
      "device.revoked",
      "role.changed",
      "session.revoked",
      "password-reset.created",
      "password.changed",
      "refresh-token.reused",
    ])
      assert.ok(all.has(action), `no audit row for ${action}`);

    const cli = await admin(server, ["audit", "--studio", studioId]);
    assert.equal(cli.code, 0, cli.stderr);
    const cliActions = (cli.json.events as Array<{ action: string }>).map((e) => e.action).sort();
    assert.deepEqual([...new Set(cliActions)], [...new Set(await actions(studioId))].sort());
    const future = await admin(server, ["audit", "--since", new Date(Date.now() + 3600_000).toISOString()]);
    assert.deepEqual(future.json.events, []);
    const viaApi = await api(server, "GET", `/v1/admin/audit?studioId=${studioId}&limit=1000`, { token: adminP.accessToken });
    assert.equal((viaApi.body.events as unknown[]).length, cliActions.length);
  });

  it("the audit log is append-only in the database", async () => {
    await assert.rejects(db.query(`UPDATE "AuditEvent" SET action = 'nothing'`), /append-only/);
    await assert.rejects(db.query(`DELETE FROM "AuditEvent"`), /append-only/);
    await assert.rejects(db.query(`TRUNCATE "AuditEvent"`), /append-only/);
  });
});
