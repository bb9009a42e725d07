// Brute force against sign-in (issue 19): a scripted loop of guesses is stopped by the per-account
// and per-address limits (Redis), the answers never tell whether an e-mail address has an account,
// and the locked-out attacker cannot end, or stop the refresh of, the real person's session.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { newStudio } from "../support/cli.ts";
import { api, owner, type Person } from "../support/people.ts";
import { startServer, type TestServer } from "../support/server.ts";

const PER_ACCOUNT = 5;
const PER_ADDRESS = 12;

describe("sign-in limits", () => {
  let server: TestServer;
  let victim: Person;
  const attacker = { "x-forwarded-for": "203.0.113.7" };
  const home = { "x-forwarded-for": "198.51.100.1" };

  before(async () => {
    server = await startServer({
      role: "api",
      env: { TRUST_PROXY: "loopback", SIGN_IN_LIMIT_PER_ACCOUNT: String(PER_ACCOUNT), SIGN_IN_LIMIT_PER_ADDRESS: String(PER_ADDRESS) },
    });
    const studio = await newStudio(server, "Targeted");
    victim = await owner(server, studio.studioId, "victim@limits.test");
  });
  after(async () => server?.stop());

  it("a scripted guessing loop is stopped per account, and the real session lives on", async () => {
    const answers: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 30; i++) {
      const r = await api(server, "POST", "/v1/auth/sign-in", { headers: attacker, body: { email: victim.email, password: `guess ${i}` } });
      answers.push(r.status);
      if (r.status === 429) {
        assert.equal(r.body.error && (r.body.error as { code: string }).code, "TOO_MANY_ATTEMPTS");
        retryAfter = r.headers.get("retry-after");
      }
    }
    // The victim's signed-in session was counted once (owner() signed in), so 4 guesses get through.
    assert.deepEqual(answers.slice(0, PER_ACCOUNT - 1), Array(PER_ACCOUNT - 1).fill(401));
    assert.deepEqual(answers.slice(PER_ACCOUNT - 1), Array(30 - PER_ACCOUNT + 1).fill(429));
    assert.ok(retryAfter && Number(retryAfter) > 0);
    // Even the right password is refused now: the limit does not depend on the guess.
    const right = await api(server, "POST", "/v1/auth/sign-in", {
      headers: attacker,
      body: { email: victim.email, password: victim.password },
    });
    assert.equal(right.status, 429);

    // The victim's existing session is untouched: its access token works and its refresh rotates.
    assert.equal((await api(server, "GET", "/v1/me", { token: victim.accessToken, headers: home })).status, 200);
    const refreshed = await api(server, "POST", "/v1/auth/refresh", { headers: home, body: { refreshToken: victim.refreshToken } });
    assert.equal(refreshed.status, 200);
    assert.equal((await api(server, "GET", "/v1/me", { token: refreshed.body.accessToken as string, headers: home })).status, 200);

    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    const failed = await db.query(
      `SELECT count(*)::int AS n FROM "AuditEvent" WHERE action = 'sign-in.failed' AND "actorLabel" = $1 AND address = '203.0.113.7'`,
      [victim.email],
    );
    await db.end();
    assert.equal(failed.rows[0].n, PER_ACCOUNT - 1, "every guess that was checked is in the audit log");
  });

  it("per address: many accounts from one address are stopped too", async () => {
    const from = { "x-forwarded-for": "203.0.113.99" };
    const statuses: number[] = [];
    for (let i = 0; i < PER_ADDRESS + 3; i++) {
      statuses.push(
        (
          await api(server, "POST", "/v1/auth/sign-in", {
            headers: from,
            body: { email: `spray-${i}@limits.test`, password: "password123456" },
          })
        ).status,
      );
    }
    assert.deepEqual(statuses.slice(0, PER_ADDRESS), Array(PER_ADDRESS).fill(401));
    assert.deepEqual(statuses.slice(PER_ADDRESS), [429, 429, 429]);
  });

  it("the answer does not tell whether an address has an account", async () => {
    const from = { "x-forwarded-for": "203.0.113.50" };
    const known = await api(server, "POST", "/v1/auth/sign-in", {
      headers: from,
      body: { email: "victim@limits.test", password: "wrong password" },
    });
    const unknown = await api(server, "POST", "/v1/auth/sign-in", {
      headers: from,
      body: { email: "nobody@limits.test", password: "wrong password" },
    });
    // (the victim's account is locked from the first test: compare a fresh known one)
    const studio = await newStudio(server, "Other");
    const other = await owner(server, studio.studioId, "other@limits.test");
    const knownFresh = await api(server, "POST", "/v1/auth/sign-in", {
      headers: from,
      body: { email: other.email, password: "wrong password" },
    });
    assert.equal(known.status, 429);
    assert.equal(unknown.status, 401);
    assert.deepEqual(knownFresh.body, unknown.body);
    assert.equal(knownFresh.status, unknown.status);
    // An unknown address is limited exactly like a known one.
    const statuses: number[] = [];
    for (let i = 0; i < PER_ACCOUNT + 1; i++) {
      statuses.push(
        (
          await api(server, "POST", "/v1/auth/sign-in", {
            headers: { "x-forwarded-for": `203.0.113.${60 + i}` },
            body: { email: "ghost@limits.test", password: "x" },
          })
        ).status,
      );
    }
    assert.deepEqual(statuses, [...Array(PER_ACCOUNT).fill(401), 429]);
  });
});
