// Issue 15, finding 5, against a real server with 10-second device tokens: the CLI renews an
// expired token without the passphrase (before expiry by its own clock, or on 401 TOKEN_EXPIRED
// when its clock is wrong or the token predates expiry) and saves it; a renewal challenge is
// single-use and bound to the device's certified key; a revoked device's next request fails
// within seconds and it can never renew; datasafe-admin lists and revokes devices.
import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { deviceTokenChallengeBytes } from "../../protocol/device-tokens.ts";
import { newDeviceSigningKey, privateKeyFromB64 } from "../../uploader/format/index.ts";
import { admin, enrolledPcs, type Pc } from "../support/cli.ts";
import { startServer, type TestServer } from "../support/server.ts";

const TTL_SECONDS = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface State {
  deviceId: string;
  accessToken: string;
  accessTokenExpiresAt?: string;
  signPrivateKey: string;
  studioId: string;
}
const stateFile = (pc: Pc) => path.join(pc.home, "device.json");
const readState = async (pc: Pc): Promise<State> => pc.state();
const writeState = (pc: Pc, s: State) => writeFile(stateFile(pc), JSON.stringify(s));

describe("device credentials expire, renew and can be revoked", () => {
  let server: TestServer;
  let pc1: Pc;
  let pc2: Pc;
  let studioId: string;
  let expiredToken: string;
  let restorePointId: string;
  const src = () => path.join(server.dir, "files");

  const status = async (token: string) => {
    const res = await fetch(`${server.url}/v1/restore-points`, { headers: { authorization: `Bearer ${token}`, connection: "close" } });
    return { status: res.status, code: res.ok ? null : ((await res.json()) as { error: { code: string } }).error.code };
  };
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${server.url}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", connection: "close" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string } } };
  };

  before(async () => {
    server = await startServer({ env: { DEVICE_TOKEN_TTL_SECONDS: String(TTL_SECONDS) } });
    const enrolled = await enrolledPcs(server, 2);
    studioId = enrolled.studioId;
    [pc1, pc2] = enrolled.pcs as [Pc, Pc];
    await mkdir(src());
    await writeFile(path.join(src(), "a.txt"), "kept safe\n");
    const backup = await pc1.run(["backup", src()]);
    assert.equal(backup.code, 0, backup.stderr);
    restorePointId = String(backup.json.restorePointId);
  });
  after(async () => server?.stop());

  it("renews an expired token before use, without the passphrase, and saves it", async () => {
    const before = await readState(pc1);
    assert.ok(before.accessTokenExpiresAt, "enroll records when the token expires");
    expiredToken = before.accessToken;
    await sleep(Math.max(0, Date.parse(before.accessTokenExpiresAt!) - Date.now()) + 1000);
    assert.deepEqual(await status(expiredToken), { status: 401, code: "TOKEN_EXPIRED" });
    const list = await pc1.run(["list"], { DATASAFE_PASSPHRASE: "" });
    assert.equal(list.code, 0, list.stderr);
    const after = await readState(pc1);
    assert.notEqual(after.accessToken, expiredToken);
    assert.equal((await status(after.accessToken)).status, 200);
  });

  it("renews on 401 TOKEN_EXPIRED when the PC's clock is wrong or the token predates expiry", async () => {
    // The state says the token is good for a year (a PC clock far behind): the server decides.
    await writeState(pc1, {
      ...(await readState(pc1)),
      accessToken: expiredToken,
      accessTokenExpiresAt: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    });
    await writeFile(path.join(src(), "b.txt"), "more\n");
    const backup = await pc1.run(["backup", src()], { DATASAFE_PASSPHRASE: "" });
    assert.equal(backup.code, 0, backup.stderr);
    assert.notEqual((await readState(pc1)).accessToken, expiredToken);

    // A token issued before tokens expired (no aud, no exp): treated as expired, then renewed.
    const secret = (await readFile(path.join(server.env.DATA_DIR!, "jwt-secret"), "utf8")).trim();
    const state = await readState(pc1);
    const legacy = jwt.sign({ sub: state.deviceId, sid: studioId, typ: "device" }, secret, { algorithm: "HS256", issuer: "datasafe" });
    assert.deepEqual(await status(legacy), { status: 401, code: "TOKEN_EXPIRED" });
    const { accessTokenExpiresAt: _, ...withoutExpiry } = state;
    await writeState(pc1, { ...withoutExpiry, accessToken: legacy });
    assert.equal((await pc1.run(["list"])).code, 0);
    assert.notEqual((await readState(pc1)).accessToken, legacy);
  });

  it("a renewal challenge is single-use and answers only the device's certified key", async () => {
    const state = await readState(pc1);
    const key = privateKeyFromB64(state.signPrivateKey);
    const challenge = await post("/v1/devices/challenge", { deviceId: state.deviceId });
    assert.equal(challenge.status, 200);
    const nonce = String(challenge.body.nonce);
    const signature = sign(null, deviceTokenChallengeBytes(state.deviceId, nonce), key).toString("base64");
    const first = await post("/v1/devices/token", { deviceId: state.deviceId, nonce, signature });
    assert.equal(first.status, 200);
    assert.equal((await status(String(first.body.accessToken))).status, 200);
    const replay = await post("/v1/devices/token", { deviceId: state.deviceId, nonce, signature });
    assert.deepEqual([replay.status, replay.body.error?.code], [401, "CHALLENGE_INVALID"]);

    const fresh = String((await post("/v1/devices/challenge", { deviceId: state.deviceId })).body.nonce);
    const thief = newDeviceSigningKey().privateKey;
    const wrongKey = await post("/v1/devices/token", {
      deviceId: state.deviceId,
      nonce: fresh,
      signature: sign(null, deviceTokenChallengeBytes(state.deviceId, fresh), thief).toString("base64"),
    });
    assert.deepEqual([wrongKey.status, wrongKey.body.error?.code], [401, "CHALLENGE_INVALID"]);
    const other = await readState(pc2);
    const otherDevice = await post("/v1/devices/token", {
      deviceId: other.deviceId,
      nonce: fresh,
      signature: sign(null, deviceTokenChallengeBytes(other.deviceId, fresh), privateKeyFromB64(other.signPrivateKey)).toString("base64"),
    });
    assert.deepEqual([otherDevice.status, otherDevice.body.error?.code], [401, "CHALLENGE_INVALID"], "a challenge is bound to its device");
  });

  it("datasafe-admin lists and revokes; a revoked device fails within seconds and cannot renew", async () => {
    const victim = await readState(pc2);
    const listed = await admin(server, ["list-devices", "--studio", studioId]);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = listed.json.devices as Array<{ id: string; name: string; revokedAt: string | null }>;
    assert.deepEqual(
      rows.map((d) => [d.name, d.revokedAt]),
      [
        ["pc-1", null],
        ["pc-2", null],
      ],
    );

    assert.equal((await pc2.run(["list"])).code, 0);
    const token = (await readState(pc2)).accessToken;
    const revoked = await admin(server, ["revoke-device", victim.deviceId, "--reason", "PC stolen from the front desk"]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const revokedAt = Date.now();
    while ((await status(token)).status !== 401) {
      assert.ok(Date.now() - revokedAt < 6000, "still accepted 6 s after revocation");
      await sleep(200);
    }
    const refused = await pc2.run(["list"]);
    assert.equal(refused.code, 3);
    assert.equal((refused.json.error as { code: string }).code, "UNAUTHENTICATED");
    assert.equal((await post("/v1/devices/challenge", { deviceId: victim.deviceId })).status, 401, "no renewal challenge");
    // Once its token has expired, the CLI's renewal is refused too.
    await sleep(TTL_SECONDS * 1000);
    const later = await pc2.run(["list"]);
    assert.equal(later.code, 3);
    assert.equal((later.json.error as { code: string }).code, "UNAUTHENTICATED");

    const after = (await admin(server, ["list-devices", "--studio", studioId])).json.devices as Array<{
      id: string;
      revokedAt: string | null;
      revokedReason: string | null;
    }>;
    const row = after.find((d) => d.id === victim.deviceId)!;
    assert.equal(row.revokedReason, "PC stolen from the front desk");
    assert.ok(row.revokedAt);
    const again = await admin(server, ["revoke-device", victim.deviceId, "--reason", "again"]);
    assert.equal(again.json.alreadyRevoked, true);
    assert.equal(again.json.revokedAt, row.revokedAt, "the first revocation is kept");
    assert.equal((await admin(server, ["revoke-device", crypto.randomUUID(), "--reason", "x"])).code, 4);
    assert.equal((await admin(server, ["list-devices", "--studio", crypto.randomUUID()])).code, 4);

    // The other PC goes on, and what was committed still restores.
    const out = path.join(server.dir, "out");
    const restore = await pc1.run(["restore", restorePointId, "--to", out]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(await readFile(path.join(out, "files", "a.txt"), "utf8"), "kept safe\n");
  });
});
