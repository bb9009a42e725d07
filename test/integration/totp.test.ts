// The TOTP second factor (issue 19) against the real server: enrollment shows the secret once and
// takes effect only when confirmed with a current code; then sign-in needs a code: none is 401
// TOTP_REQUIRED, a wrong or replayed one 401 INVALID_CREDENTIALS, and each recovery code works
// once. Enabling and spending a recovery code are audited. Real server, Postgres and Redis.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fromBase32, totp, TOTP_STEP_SECONDS } from "../../server/services/users/totp.ts";
import { admin as adminCli } from "../support/cli.ts";
import { sql } from "../support/integrity.ts";
import { api, PASSWORD, staff, type Person } from "../support/people.ts";
import { startServer, type TestServer } from "../support/server.ts";

describe("TOTP second factor", () => {
  let server: TestServer;
  let support: Person;
  let secret: Buffer;
  let recoveryCodes: string[];

  const signIn = (extra: Record<string, string> = {}) =>
    api(server, "POST", "/v1/auth/sign-in", { body: { email: support.email, password: PASSWORD, ...extra } });
  const codeAt = (offsetSteps: number) => totp(secret, new Date(Date.now() + offsetSteps * TOTP_STEP_SECONDS * 1000));
  const errorCode = (r: { body: Record<string, unknown> }) => (r.body.error as { code: string }).code;

  before(async () => {
    server = await startServer({ env: { SIGN_IN_LIMIT_PER_ACCOUNT: "1000", SIGN_IN_LIMIT_PER_ADDRESS: "1000" } });
    support = await staff(server, "support@totp.test", "support", { secondFactor: false });
  });
  after(async () => server?.stop());

  it("enrollment: a secret shown once, in force only after a current code", async () => {
    // The first sign-in is the password alone (there is no factor yet); until one is in force,
    // staff routes refuse the account, its own account's routes do not.
    for (const path of ["/v1/support/studios?q=a", "/v1/admin/audit"]) {
      const r = await api(server, "GET", path, { token: support.accessToken });
      if (path.startsWith("/v1/admin")) assert.equal(r.status, 403);
      else assert.deepEqual([r.status, errorCode(r)], [403, "TOTP_ENROLLMENT_REQUIRED"], path);
    }
    assert.equal((await api(server, "GET", "/v1/me", { token: support.accessToken })).status, 200);
    const first = await api(server, "POST", "/v1/me/totp", { token: support.accessToken });
    assert.equal(first.status, 201);
    const again = await api(server, "POST", "/v1/me/totp", { token: support.accessToken });
    assert.equal(again.status, 201, "an unconfirmed secret is replaced");
    assert.notEqual(again.body.secret, first.body.secret);
    secret = fromBase32(String(again.body.secret));
    assert.match(String(again.body.otpauthUri), /^otpauth:\/\/totp\/DataSafe:support%40totp\.test\?secret=[A-Z2-7]+&issuer=DataSafe/);
    assert.equal((await signIn()).status, 200, "not in force before confirmation");

    const stale = await api(server, "POST", "/v1/me/totp/confirm", {
      token: support.accessToken,
      body: { code: totp(fromBase32(String(first.body.secret)), new Date()) },
    });
    assert.equal(stale.status, 400, "a code of the replaced secret");
    const ok = await api(server, "POST", "/v1/me/totp/confirm", { token: support.accessToken, body: { code: codeAt(0) } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    recoveryCodes = ok.body.recoveryCodes as string[];
    assert.equal(recoveryCodes.length, 10);
    const search = await api(server, "GET", "/v1/support/studios?q=a", { token: support.accessToken });
    assert.equal(search.status, 200, "staff routes answer once the factor is in force");
    const twice = await api(server, "POST", "/v1/me/totp", { token: support.accessToken });
    assert.deepEqual([twice.status, errorCode(twice)], [409, "TOTP_ALREADY_ENABLED"], "a session cannot move the factor elsewhere");

    const db = await sql(server);
    try {
      const rows = await db.query<{ codeHash: Buffer }>(`SELECT "codeHash" FROM "UserRecoveryCode" WHERE "userId" = $1`, [support.userId]);
      assert.equal(rows.rows.length, 10);
      const stored = rows.rows.map((r) => r.codeHash.toString("hex")).join();
      for (const c of recoveryCodes) assert.equal(stored.includes(Buffer.from(c).toString("hex")), false, "stored hashed, never as given");
      const audited = await db.query(`SELECT 1 FROM "AuditEvent" WHERE action = 'totp.enabled' AND "actorId" = $1`, [support.userId]);
      assert.equal(audited.rows.length, 1);
    } finally {
      await db.end();
    }
  });

  it("sign-in needs a current code: missing, wrong and replayed ones are refused", async () => {
    const none = await signIn();
    assert.deepEqual([none.status, errorCode(none)], [401, "TOTP_REQUIRED"]);
    const wrongCode = String((Number(codeAt(0)) + 1) % 1_000_000).padStart(6, "0");
    const wrong = await signIn({ totp: wrongCode === codeAt(-1) || wrongCode === codeAt(1) ? "000000" : wrongCode });
    assert.deepEqual([wrong.status, errorCode(wrong)], [401, "INVALID_CREDENTIALS"]);
    const badPassword = await api(server, "POST", "/v1/auth/sign-in", {
      body: { email: support.email, password: "not the password", totp: codeAt(1) },
    });
    assert.deepEqual(
      [badPassword.status, errorCode(badPassword)],
      [401, "INVALID_CREDENTIALS"],
      "a code does not stand in for the password",
    );

    // The code confirmed at enrollment was spent: the next step's code (one step of drift) works once.
    const next = codeAt(1);
    const ok = await signIn({ totp: next });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.ok(ok.body.accessToken);
    const replay = await signIn({ totp: next });
    assert.deepEqual([replay.status, errorCode(replay)], [401, "INVALID_CREDENTIALS"], "the same code twice");
    const older = await signIn({ totp: codeAt(0) });
    assert.deepEqual([older.status, errorCode(older)], [401, "INVALID_CREDENTIALS"], "an older code after a newer one");
  });

  it("a recovery code works once, in any case and spacing", async () => {
    const code = recoveryCodes[3]!;
    const ok = await signIn({ recoveryCode: code.toLowerCase() });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const again = await signIn({ recoveryCode: code });
    assert.deepEqual([again.status, errorCode(again)], [401, "INVALID_CREDENTIALS"]);
    const made = await signIn({ recoveryCode: "AAAAA-AAAAA" });
    assert.equal(made.status, 401);
    const admin = await staff(server, "admin@totp.test", "admin");
    const log = await api(server, "GET", "/v1/admin/audit?limit=50", { token: admin.accessToken });
    const events = log.body.events as Array<{ action: string; actorId: string | null; details: unknown }>;
    assert.deepEqual(events.find((e) => e.action === "recovery-code.used" && e.actorId === support.userId)?.details, { left: 9 });
    assert.ok(
      events.some((e) => e.action === "sign-in.failed" && (e.details as { secondFactor?: string } | null)?.secondFactor === "wrong"),
    );
  });

  it("the operator's reset-totp removes the factor and ends the sessions; the person enrolls again", async () => {
    const held = await signIn({ recoveryCode: recoveryCodes[5]! });
    assert.equal(held.status, 200);
    const r = await adminCli(server, ["reset-totp", "--email", support.email]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Number(r.json.sessionsRevoked) >= 1);
    assert.equal((await api(server, "GET", "/v1/me", { token: String(held.body.accessToken) })).status, 401, "its sessions ended");
    const again = await signIn();
    assert.equal(again.status, 200, "the password alone, as at the first sign-in");
    const search = await api(server, "GET", "/v1/support/studios?q=a", { token: String(again.body.accessToken) });
    assert.deepEqual([search.status, errorCode(search)], [403, "TOTP_ENROLLMENT_REQUIRED"]);
    const db = await sql(server);
    try {
      const left = await db.query(`SELECT 1 FROM "UserRecoveryCode" WHERE "userId" = $1`, [support.userId]);
      assert.equal(left.rows.length, 0, "the old recovery codes are gone");
      assert.equal(
        (await db.query(`SELECT 1 FROM "AuditEvent" WHERE action = 'totp.reset' AND target = $1`, [support.userId])).rows.length,
        1,
      );
    } finally {
      await db.end();
    }
  });
});
