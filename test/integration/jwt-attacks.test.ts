// Forged, stale and misdirected credentials on every authenticated route of the route table, user
// and device (issue 19): `alg: none`, HS256 signed with the public key (algorithm confusion), a
// wrong key, expired, not yet valid, wrong issuer, wrong audience, a device token on a person's
// route and the reverse, a revoked session or device, and a reused refresh token (which revokes
// its whole family). Each is tried on every route it applies to; none may be accepted.
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject, createPrivateKey, createSecretKey } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { DEVICE_TOKEN_AUDIENCE } from "../../protocol/device-tokens.ts";
import { TOKEN_ISSUER, USER_TOKEN_AUDIENCE } from "../../protocol/people.ts";
import { routes, type RouteSpec } from "../../protocol/routes.ts";
import { admin, newStudio, Pc } from "../support/cli.ts";
import { api, owner, signIn, type Person } from "../support/people.ts";
import { startServer, type TestServer } from "../support/server.ts";

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64url(header)}.${b64url(payload)}.`;
}

describe("JWT attacks on every authenticated route: 0 accepted", () => {
  let server: TestServer;
  let studioId: string;
  let deviceId: string;
  let deviceToken: string;
  let person: Person;
  let userKey: { kid: string; privateKey: KeyObject; publicKey: KeyObject };
  let deviceSecret: KeyObject;

  before(async () => {
    server = await startServer({ role: "api" });
    const studio = await newStudio(server, "Attacked");
    studioId = studio.studioId;
    const pc = await Pc.create(server);
    assert.equal((await pc.run(["enroll", "--token", await studio.token()])).code, 0);
    const state = JSON.parse(readFileSync(path.join(pc.home, "device.json"), "utf8")) as { accessToken: string; deviceId: string };
    deviceToken = state.accessToken;
    deviceId = state.deviceId;
    person = await owner(server, studioId, "victim@attack.test");
    const dir = path.join(server.dir, "data", "token-keys");
    const file = readdirSync(dir).find((n) => n.endsWith(".pem"))!;
    const privateKey = createPrivateKey(readFileSync(path.join(dir, file)));
    userKey = { kid: file.slice(0, -4), privateKey, publicKey: createPublicKey(privateKey) };
    deviceSecret = createSecretKey(Buffer.from(readFileSync(path.join(server.dir, "data", "jwt-secret"), "utf8").trim(), "utf8"));
  });
  after(async () => server?.stop());

  /** Every route of an audience, with its path parameters filled in with ids of the victim's studio. */
  function routesOf(kind: "device" | "people"): Array<{ name: string; spec: RouteSpec; path: string }> {
    return Object.entries(routes as Record<string, RouteSpec>)
      .filter(([, s]) =>
        kind === "device" ? s.audience.includes("device") : s.audience.some((a) => a === "owner" || a === "support" || a === "admin"),
      )
      .map(([name, spec]) => ({
        name,
        spec,
        path: spec.path
          .replace(":studioId", studioId)
          .replace(":deviceId", deviceId)
          .replace(":userId", person.userId)
          .replace(":page", "0")
          .replace(":id", randomUUID()),
      }));
  }

  async function accepted(kind: "device" | "people", token: string): Promise<string[]> {
    const through: string[] = [];
    for (const r of routesOf(kind)) {
      const res = await fetch(`${server.url}${r.path}`, {
        method: r.spec.method,
        headers: { authorization: `Bearer ${token}`, ...(r.spec.method === "GET" ? {} : { "content-type": "application/json" }) },
        ...(r.spec.method === "GET" ? {} : { body: "{}" }),
      });
      await res.arrayBuffer();
      if (res.status !== 401) through.push(`${r.spec.method} ${r.path}: ${res.status}`);
    }
    return through;
  }

  function userClaims(): Record<string, unknown> {
    const p = jwt.decode(person.accessToken) as { sub: string; sid: string };
    return { sub: p.sub, sid: p.sid, typ: "user" };
  }
  /** A 15-minute lifetime unless the payload sets its own `exp`. */
  const lifetime = (payload: Record<string, unknown>): jwt.SignOptions => (payload.exp === undefined ? { expiresIn: 900 } : {});
  const userSign = (payload: Record<string, unknown>, opts: jwt.SignOptions = {}) =>
    jwt.sign(payload, userKey.privateKey, {
      algorithm: "ES256",
      keyid: userKey.kid,
      issuer: TOKEN_ISSUER,
      audience: USER_TOKEN_AUDIENCE,
      ...lifetime(payload),
      ...opts,
    });
  const deviceClaims = () => ({ sub: deviceId, sid: studioId, typ: "device" });
  const deviceSign = (payload: Record<string, unknown>, opts: jwt.SignOptions = {}) =>
    jwt.sign(payload, deviceSecret, {
      algorithm: "HS256",
      issuer: TOKEN_ISSUER,
      audience: DEVICE_TOKEN_AUDIENCE,
      ...lifetime(payload),
      ...opts,
    });

  it("the genuine credentials pass (the attacks below fail for their forgery, not for the request)", async () => {
    assert.equal((await api(server, "GET", "/v1/me", { token: userSign(userClaims()) })).status, 200);
    assert.equal((await api(server, "GET", "/v1/restore-points", { token: deviceSign(deviceClaims()) })).status, 200);
  });

  it("forged and misdirected access tokens on every person's route", async () => {
    const attacker = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const claims = userClaims();
    const exp = now() + 900;
    const pem = userKey.publicKey.export({ type: "spki", format: "pem" });
    const attacks: Record<string, string> = {
      "alg none": unsigned({ alg: "none", typ: "JWT", kid: userKey.kid }, { ...claims, iss: TOKEN_ISSUER, aud: USER_TOKEN_AUDIENCE, exp }),
      "HS256 with the public key as secret": jwt.sign(claims, createSecretKey(Buffer.from(pem)), {
        algorithm: "HS256",
        keyid: userKey.kid,
        issuer: TOKEN_ISSUER,
        audience: USER_TOKEN_AUDIENCE,
        expiresIn: 900,
      }),
      "HS256 with the device secret": jwt.sign(claims, deviceSecret, {
        algorithm: "HS256",
        keyid: userKey.kid,
        issuer: TOKEN_ISSUER,
        audience: USER_TOKEN_AUDIENCE,
        expiresIn: 900,
      }),
      "ES256 with another key, same kid": jwt.sign(claims, attacker.privateKey, {
        algorithm: "ES256",
        keyid: userKey.kid,
        issuer: TOKEN_ISSUER,
        audience: USER_TOKEN_AUDIENCE,
        expiresIn: 900,
      }),
      "RS256 with another key": jwt.sign(claims, rsa.privateKey, {
        algorithm: "RS256",
        keyid: userKey.kid,
        issuer: TOKEN_ISSUER,
        audience: USER_TOKEN_AUDIENCE,
        expiresIn: 900,
      }),
      "unknown kid": jwt.sign(claims, attacker.privateKey, {
        algorithm: "ES256",
        keyid: "attacker",
        issuer: TOKEN_ISSUER,
        audience: USER_TOKEN_AUDIENCE,
        expiresIn: 900,
      }),
      expired: userSign({ ...claims, iat: now() - 2000, exp: now() - 60 }),
      "not yet valid": userSign({ ...claims, nbf: now() + 600 }),
      "wrong issuer": userSign(claims, { issuer: "someone-else" }),
      "wrong audience": userSign(claims, { audience: DEVICE_TOKEN_AUDIENCE }),
      "no expiry": jwt.sign(claims, userKey.privateKey, {
        algorithm: "ES256",
        keyid: userKey.kid,
        issuer: TOKEN_ISSUER,
        audience: USER_TOKEN_AUDIENCE,
      }),
      "another session id": userSign({ ...claims, sid: randomUUID() }),
      "a device token": deviceToken,
      "a device-typed claim set under the user key": userSign(deviceClaims()),
    };
    const through: string[] = [];
    for (const [name, token] of Object.entries(attacks)) for (const hit of await accepted("people", token)) through.push(`${name}: ${hit}`);
    assert.deepEqual(through, []);
  });

  it("forged and misdirected tokens on every device route", async () => {
    const claims = deviceClaims();
    const attacks: Record<string, string> = {
      "alg none": unsigned({ alg: "none", typ: "JWT" }, { ...claims, iss: TOKEN_ISSUER, aud: DEVICE_TOKEN_AUDIENCE, exp: now() + 900 }),
      "HS256 with a wrong secret": jwt.sign(claims, createSecretKey(Buffer.from("x".repeat(64))), {
        algorithm: "HS256",
        issuer: TOKEN_ISSUER,
        audience: DEVICE_TOKEN_AUDIENCE,
        expiresIn: 900,
      }),
      "ES256 with the user key": jwt.sign(claims, userKey.privateKey, {
        algorithm: "ES256",
        keyid: userKey.kid,
        issuer: TOKEN_ISSUER,
        audience: DEVICE_TOKEN_AUDIENCE,
        expiresIn: 900,
      }),
      expired: deviceSign({ ...claims, iat: now() - 2000, exp: now() - 60 }),
      "not yet valid": deviceSign({ ...claims, nbf: now() + 600 }),
      "wrong issuer": deviceSign(claims, { issuer: "someone-else" }),
      "wrong audience": deviceSign(claims, { audience: USER_TOKEN_AUDIENCE }),
      "another studio": deviceSign({ ...claims, sid: randomUUID() }),
      "a person's token": person.accessToken,
    };
    const through: string[] = [];
    for (const [name, token] of Object.entries(attacks)) for (const hit of await accepted("device", token)) through.push(`${name}: ${hit}`);
    assert.deepEqual(through, []);
  });

  it("a revoked session's access token and a revoked device's token are refused everywhere", async () => {
    const s = await signIn(server, person.email);
    assert.equal((await api(server, "GET", "/v1/me", { token: s.accessToken })).status, 200);
    assert.equal((await api(server, "POST", "/v1/auth/logout", { token: s.accessToken })).status, 204);
    assert.deepEqual(await accepted("people", s.accessToken), []);
    assert.equal(
      (await api(server, "POST", "/v1/auth/refresh", { body: { refreshToken: s.refreshToken } })).status,
      401,
      "logout ends the refresh token too",
    );

    const spare = await Pc.create(server);
    const studio = { token: async () => String((await admin(server, ["enrollment-token", "--studio", studioId])).json.token) };
    assert.equal((await spare.run(["enroll", "--token", await studio.token(), "--name", "to-revoke"])).code, 0);
    const state = JSON.parse(readFileSync(path.join(spare.home, "device.json"), "utf8")) as { accessToken: string; deviceId: string };
    assert.equal((await admin(server, ["revoke-device", state.deviceId, "--reason", "stolen"])).code, 0);
    await new Promise((r) => setTimeout(r, 5_500)); // DEVICE_CACHE_TTL_MS: the longest a revocation takes
    assert.deepEqual(await accepted("device", state.accessToken), []);
  });

  it("a reused refresh token revokes its family: every token of that sign-in stops working", async () => {
    const first = await signIn(server, person.email);
    const rotated = await api(server, "POST", "/v1/auth/refresh", { body: { refreshToken: first.refreshToken } });
    assert.equal(rotated.status, 200);
    const second = { accessToken: rotated.body.accessToken as string, refreshToken: rotated.body.refreshToken as string };
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.equal((await api(server, "GET", "/v1/me", { token: second.accessToken })).status, 200);

    const replay = await api(server, "POST", "/v1/auth/refresh", { body: { refreshToken: first.refreshToken } });
    assert.equal(replay.status, 401);
    assert.equal(
      (await api(server, "POST", "/v1/auth/refresh", { body: { refreshToken: second.refreshToken } })).status,
      401,
      "the newest refresh token of the family is dead too",
    );
    assert.deepEqual(await accepted("people", second.accessToken), [], "and so is its access token");
    assert.equal(
      (await api(server, "GET", "/v1/me", { token: person.accessToken })).status,
      200,
      "another sign-in of the same person is untouched",
    );
  });
});
