// Issue 15, finding 4 (enrollment), against a real server: a device exists only with a
// certificate signed by the studio's key (for a first device, the key it brings); a used or
// expired token gets no keyset; enrollment routes are rate-limited per client address (and
// TRUST_PROXY says which forwarded address counts); the uploader refuses a weak first passphrase
// and a plain-http server; the server refuses a short JWT secret file.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import {
  certifyDevice,
  createStudioKeys,
  newDeviceSigningKey,
  unlockWithPassphrase,
  type Keyset,
  type StudioSecrets,
} from "../../uploader/format/index.ts";
import { admin, newStudio, Pc, PASSPHRASE } from "../support/cli.ts";
import { spawnNode } from "../support/process.ts";
import { SERVER_NODE_FLAGS, startServer, type TestServer } from "../support/server.ts";

const CHEAP = { scrypt: { N: 1024, r: 8, p: 1 } };

async function post(server: TestServer, route: string, body: unknown, headers: Record<string, string> = {}) {
  // A fresh connection each: on a loaded machine a pause between requests (a key derivation)
  // outlasts the server's keep-alive timeout, and a reused socket would be closed under the request.
  const res = await fetch(`${server.url}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", connection: "close", ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    body: (await res.json()) as Record<string, unknown> & { error?: { code: string } },
  };
}

/** An enrollment request for `deviceName`, its certificate signed with `signer`'s key. */
function enrollRequest(token: string, studioId: string, deviceName: string, signer: StudioSecrets, keyset?: Keyset) {
  const signing = newDeviceSigningKey();
  const certificate = certifyDevice(signer, { studioId, deviceName, signPublicKey: signing.publicKey, issuedAt: new Date().toISOString() });
  return { token, deviceName, signPublicKey: signing.publicKey.toString("base64"), certificate, ...(keyset ? { keyset } : {}) };
}

describe("enrollment: certificates, tokens, passphrase and server URL", () => {
  let server: TestServer;
  let db: pg.Client;
  const devices = async (studioId: string) =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "Device" WHERE "studioId" = $1`, [studioId])).rows[0]!.n);

  before(async () => {
    server = await startServer();
    db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await server?.stop();
  });

  it("refuses a certificate not signed by the studio's key, creating no device, and leaves the token usable", async () => {
    const studio = await newStudio(server, "Cert Studio");
    const first = await Pc.create(server);
    assert.equal((await first.run(["enroll", "--token", await studio.token(), "--name", "front-desk"])).code, 0);
    const token = await studio.token();
    const lookup = await post(server, "/v1/enrollments/lookup", { token });
    assert.equal(lookup.status, 200);
    const another = createStudioKeys("another studio", CHEAP).secrets;

    const forged = await post(server, "/v1/enrollments", enrollRequest(token, studio.studioId, "thief", another));
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error?.code, "CERTIFICATE_INVALID");
    const garbage = await post(server, "/v1/enrollments", {
      ...enrollRequest(token, studio.studioId, "thief", another),
      certificate: { studioId: studio.studioId, signature: "garbage" },
    });
    assert.equal(garbage.status, 403);
    // A genuine signature, but over another device name than the one enrolled.
    const real = unlockWithPassphrase(lookup.body.keyset as Keyset, PASSPHRASE);
    const renamed = { ...enrollRequest(token, studio.studioId, "front-desk-2", real), deviceName: "someone-else" };
    assert.equal((await post(server, "/v1/enrollments", renamed)).status, 403);
    assert.equal(await devices(studio.studioId), 1, "no device row was created");

    const genuine = await post(server, "/v1/enrollments", enrollRequest(token, studio.studioId, "front-desk-2", real));
    assert.equal(genuine.status, 201, JSON.stringify(genuine.body));
    assert.equal(await devices(studio.studioId), 2);
    const used = await post(server, "/v1/enrollments/lookup", { token });
    assert.equal(used.status, 401, "a used token gets no keyset");
    assert.equal(used.body.error?.code, "TOKEN_INVALID");
    assert.equal(used.body.keyset, undefined);
  });

  it("a first device's certificate must verify against the keyset it brings", async () => {
    const studio = await newStudio(server, "First Studio");
    const token = await studio.token();
    const own = createStudioKeys(PASSPHRASE, CHEAP);
    const other = createStudioKeys("x", CHEAP);
    const forged = await post(server, "/v1/enrollments", enrollRequest(token, studio.studioId, "pc", other.secrets, own.keyset));
    assert.equal(forged.status, 403);
    assert.equal(await devices(studio.studioId), 0);
    const keyset = (await db.query(`SELECT keyset FROM "Studio" WHERE id = $1`, [studio.studioId])).rows[0]!.keyset;
    assert.equal(keyset, null, "the keys were not installed");
    const ok = await post(server, "/v1/enrollments", enrollRequest(token, studio.studioId, "pc", own.secrets, own.keyset));
    assert.equal(ok.status, 201);
    assert.equal(ok.body.firstDevice, true);
  });

  it("an expired token gets no keyset; tokens default to one hour", async () => {
    const studio = await newStudio(server, "Expiry Studio");
    const issued = await admin(server, ["enrollment-token", "--studio", studio.studioId]);
    const ttlMs = Date.parse(String(issued.json.expiresAt)) - Date.now();
    assert.ok(ttlMs > 3500_000 && ttlMs <= 3600_000, `default ttl ${ttlMs} ms`);
    assert.equal((await admin(server, ["enrollment-token", "--studio", studio.studioId, "--ttl", "8d"])).code, 2, "at most 7 days");
    const short = await admin(server, ["enrollment-token", "--studio", studio.studioId, "--ttl", "1s"]);
    await new Promise((r) => setTimeout(r, 1200));
    const expired = await post(server, "/v1/enrollments/lookup", { token: short.json.token });
    assert.equal(expired.status, 401);
    assert.equal(expired.body.keyset, undefined);
  });

  it("the CLI refuses a weak first passphrase, explaining the rule, and stores nothing", async () => {
    const studio = await newStudio(server, "Weak Studio");
    const token = await studio.token();
    const pc = await Pc.create(server, "password1234");
    const weak = await pc.run(["enroll", "--token", token]);
    assert.equal(weak.code, 3);
    assert.equal((weak.json.error as { code: string }).code, "PASSPHRASE_WEAK");
    assert.match(weak.stderr, /at least 12 characters, and hard to guess/);
    assert.ok(!existsSync(path.join(pc.home, "device.json")));
    assert.equal((await db.query(`SELECT keyset FROM "Studio" WHERE id = $1`, [studio.studioId])).rows[0]!.keyset, null);
    pc.passphrase = PASSPHRASE;
    assert.equal((await pc.run(["enroll", "--token", token])).code, 0, "the token was left unused");
  });

  it("the CLI refuses a plain-http server except this machine", async () => {
    const studio = await newStudio(server, "Url Studio");
    const token = await studio.token();
    const pc = await Pc.create(server);
    const remote = await pc.run(["enroll", "--server", "http://example.com", "--token", token]);
    assert.equal(remote.code, 2);
    assert.equal((remote.json.error as { code: string }).code, "SERVER_URL_INSECURE");
    assert.match(remote.stderr, /https:\/\//);
    const local = await pc.run(["enroll", "--server", server.url.replace("localhost", "127.0.0.1"), "--token", token]);
    assert.equal(local.code, 0, local.stderr);
    assert.match(String(JSON.parse(await readFile(path.join(pc.home, "device.json"), "utf8")).server), /^http:\/\/127\.0\.0\.1:/);
  });
});

describe("enrollment rate limit per client address", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ role: "api", env: { AUTH_RATE_LIMIT_PER_MINUTE: "5" } });
  });
  after(async () => server?.stop());

  const lookup = (from?: string) =>
    post(server, "/v1/enrollments/lookup", { token: "dse_not-a-real-token" }, from ? { "x-forwarded-for": from } : {});

  it("answers 429 with Retry-After after the limit; a forged X-Forwarded-For is not believed", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await lookup(`198.51.100.${i}`)).status, 401);
    const limited = await lookup("198.51.100.99");
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error?.code, "RATE_LIMITED");
    assert.ok(Number(limited.retryAfter) >= 1);
    assert.equal(
      (await post(server, "/v1/enrollments", { token: "dse_not-a-real-token" })).status,
      429,
      "enroll shares the lookup's limit",
    );
  });

  it("with TRUST_PROXY, each forwarded client address has its own limit", async () => {
    await server.restart({ TRUST_PROXY: "loopback" });
    for (let i = 0; i < 5; i++) assert.equal((await lookup("203.0.113.7")).status, 401);
    assert.equal((await lookup("203.0.113.7")).status, 429);
    assert.equal((await lookup("203.0.113.8")).status, 401, "another client behind the proxy");
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await post(server, "/v1/devices/challenge", { deviceId: crypto.randomUUID() }, { "x-forwarded-for": "203.0.113.9" })).status,
        401,
      );
    assert.equal(
      (await post(server, "/v1/devices/challenge", { deviceId: crypto.randomUUID() }, { "x-forwarded-for": "203.0.113.9" })).status,
      429,
      "token renewal is limited too",
    );
  });
});

describe("JWT secret file", () => {
  it("a server whose generated secret file holds fewer than 32 bytes refuses to start", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "datasafe-short-secret-"));
    await writeFile(path.join(dir, "jwt-secret"), "0123456789abcdef\n");
    const api = spawnNode([...SERVER_NODE_FLAGS, "--import", "tsx", "server/main.ts", "api"], {
      env: { PATH: process.env.PATH, DATA_DIR: dir, PORT: "0", LOG_LEVEL: "warn" },
    });
    const { code } = await api.closed;
    assert.equal(code, 78, api.stderr());
    assert.match(api.stderr(), /jwt-secret holds fewer than 32 bytes/);
    await rm(dir, { recursive: true, force: true });
  });
});
