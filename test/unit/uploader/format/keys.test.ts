import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DecryptKeyring,
  FormatError,
  certifyDevice,
  createStudioKeys,
  formatRecoveryKey,
  keysetChunking,
  newDeviceSigningKey,
  newSessionKey,
  parseRecoveryKey,
  privateKeyFromB64,
  privateKeyFromRaw,
  privateKeyToB64,
  privateKeyToRaw,
  publicKeyToRaw,
  unlockWithPassphrase,
  unlockWithPassphraseAsync,
  unlockWithRecoveryKey,
  verifyDeviceCertificate,
  type Keyset,
  type StudioSecrets,
} from "../../../../uploader/format/index.ts";

const code = (c: string) => (e: unknown) => e instanceof FormatError && e.code === c;
const CHEAP = { scrypt: { N: 1024, r: 8, p: 1 } };
const created = createStudioKeys("correct horse", CHEAP);
const { keyset, recoveryKey, secrets } = created;

function sameSecrets(a: StudioSecrets, b: StudioSecrets): void {
  assert.deepEqual(a.boxPublicKey, b.boxPublicKey);
  assert.deepEqual(a.signPublicKey, b.signPublicKey);
  assert.deepEqual(a.chunkIdKey, b.chunkIdKey);
  assert.deepEqual(a.chunkerKey, b.chunkerKey);
  assert.deepEqual(privateKeyToRaw(a.boxPrivateKey), privateKeyToRaw(b.boxPrivateKey));
  assert.deepEqual(privateKeyToRaw(a.signPrivateKey), privateKeyToRaw(b.signPrivateKey));
}

const clone = (k: Keyset): Keyset => JSON.parse(JSON.stringify(k)) as Keyset;

describe("studio keyset", () => {
  it("is plain JSON with the documented shape", () => {
    assert.deepEqual(clone(keyset), keyset);
    assert.equal(keyset.version, 1);
    assert.equal(Buffer.from(keyset.boxPublicKey, "base64").length, 32);
    assert.deepEqual(Object.keys(keyset.passphrase.kdf).sort(), ["N", "alg", "p", "r", "salt"]);
    assert.match(recoveryKey, /^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/);
  });

  it("names its chunking scheme: 3 for new keysets, 2 kept, 1 when absent, newer ones refused", () => {
    assert.equal(keyset.chunking, 3);
    assert.equal(keysetChunking(keyset), 3);
    assert.equal(keysetChunking({ ...clone(keyset), chunking: 2 }), 2);
    const { chunking: _, ...older } = clone(keyset);
    assert.equal(keysetChunking(older), 1);
    assert.throws(() => keysetChunking({ ...clone(keyset), chunking: 4 } as unknown as Keyset), code("UNSUPPORTED_VERSION"));
  });

  it("unlocks with the passphrase and with the recovery key", () => {
    sameSecrets(unlockWithPassphrase(clone(keyset), "correct horse"), secrets);
    sameSecrets(unlockWithRecoveryKey(clone(keyset), recoveryKey), secrets);
    sameSecrets(unlockWithRecoveryKey(keyset, ` ${recoveryKey.toLowerCase().replace(/-/g, " ")} `), secrets);
  });

  it("unlocks alike with the key derivation on the thread pool", async () => {
    sameSecrets(await unlockWithPassphraseAsync(clone(keyset), "correct horse"), secrets);
    await assert.rejects(unlockWithPassphraseAsync(keyset, "wrong horse"), code("BAD_PASSPHRASE"));
  });

  it("normalizes the passphrase (NFC)", () => {
    const k = createStudioKeys("caf\u00e9", CHEAP);
    sameSecrets(unlockWithPassphrase(k.keyset, "cafe\u0301"), k.secrets);
  });

  it("rejects a wrong passphrase or recovery key", () => {
    assert.throws(() => unlockWithPassphrase(keyset, "wrong horse"), code("BAD_PASSPHRASE"));
    const other = createStudioKeys("x", CHEAP).recoveryKey;
    assert.throws(() => unlockWithRecoveryKey(keyset, other), code("BAD_RECOVERY_KEY"));
    assert.throws(() => unlockWithRecoveryKey(keyset, "too-short"), code("BAD_RECOVERY_KEY"));
  });

  it("rejects a keyset whose public keys were swapped", () => {
    const other = createStudioKeys("x", CHEAP).keyset;
    const t = clone(keyset);
    t.boxPublicKey = other.boxPublicKey;
    assert.throws(() => unlockWithPassphrase(t, "correct horse"), code("BAD_PASSPHRASE"));
    assert.throws(() => unlockWithRecoveryKey(t, recoveryKey), code("BAD_RECOVERY_KEY"));
    const s = clone(keyset);
    s.signPublicKey = other.signPublicKey;
    assert.throws(() => unlockWithPassphrase(s, "correct horse"), FormatError);
  });

  it("refuses hostile scrypt parameters", () => {
    const t = clone(keyset);
    t.passphrase.kdf.N = 2 ** 30;
    assert.throws(() => unlockWithPassphrase(t, "correct horse"), code("BAD_KEYSET"));
  });

  it("refuses scrypt memory (128·N·r) over 256 MiB before deriving anything", async () => {
    // Each within the per-parameter bounds (N ≤ 2^20, r ≤ 32), which alone allowed 4 GiB.
    for (const [N, r, mib] of [
      [2 ** 19, 8, 512],
      [2 ** 20, 4, 512],
      [2 ** 20, 32, 4096],
    ] as const) {
      const t = clone(keyset);
      Object.assign(t.passphrase.kdf, { N, r });
      const refused = (e: unknown) => code("BAD_KEYSET")(e) && new RegExp(`need ${mib} MiB, over the 256 MiB`).test((e as Error).message);
      const started = performance.now();
      assert.throws(() => unlockWithPassphrase(t, "correct horse"), refused);
      await assert.rejects(unlockWithPassphraseAsync(t, "correct horse"), refused);
      assert.ok(performance.now() - started < 100, "refused without running scrypt");
      assert.throws(() => createStudioKeys("correct horse", { scrypt: { N, r, p: 1 } }), refused);
    }
  });

  it("still derives at exactly 256 MiB (N = 2^18, r = 8)", async () => {
    const t = clone(keyset);
    Object.assign(t.passphrase.kdf, { N: 2 ** 18, r: 8 });
    // The derivation runs (and yields a KEK that does not open this keyset): not refused up front.
    await assert.rejects(unlockWithPassphraseAsync(t, "correct horse"), code("BAD_PASSPHRASE"));
  });
});

describe("recovery key text", () => {
  it("round-trips and forgives O/I/L", () => {
    const raw = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7));
    const text = formatRecoveryKey(raw);
    assert.deepEqual(parseRecoveryKey(text), raw);
    assert.deepEqual(parseRecoveryKey(text.replace(/0/g, "o").replace(/1/g, "l")), raw);
    assert.throws(() => parseRecoveryKey(text.slice(0, -1) + "U"), code("BAD_RECOVERY_KEY"));
  });
  it("rejects a non-canonical last symbol", () => {
    const text = formatRecoveryKey(Buffer.alloc(32));
    assert.throws(() => parseRecoveryKey(text.slice(0, -1) + "1"), code("BAD_RECOVERY_KEY"));
  });
});

describe("session keys", () => {
  it("round-trip through the keyring, with distinct ephemeral keys", () => {
    const ring = new DecryptKeyring(secrets, 2);
    const a = newSessionKey(secrets.boxPublicKey);
    const b = newSessionKey(secrets.boxPublicKey);
    assert.notDeepEqual(a.ephemeralPublicKey, b.ephemeralPublicKey);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(ring.sessionKey(a.ephemeralPublicKey), a.key);
      assert.deepEqual(ring.sessionKey(b.ephemeralPublicKey), b.key);
      assert.deepEqual(ring.sessionKey(newSessionKey(secrets.boxPublicKey).ephemeralPublicKey).length, 32);
    }
  });
  it("rejects a low-order ephemeral key", () => {
    assert.throws(() => new DecryptKeyring(secrets).sessionKey(Buffer.alloc(32)), code("BAD_KEY"));
  });
});

describe("device certificates", () => {
  const dev = newDeviceSigningKey();
  const req = { studioId: "studio-a", deviceName: "front-desk", signPublicKey: dev.publicKey, issuedAt: new Date().toISOString() };
  const cert = certifyDevice(secrets, req);

  it("verifies under the studio key", () => {
    assert.equal(verifyDeviceCertificate(cert, secrets.signPublicKey), true);
    assert.equal(verifyDeviceCertificate(JSON.parse(JSON.stringify(cert)), secrets.signPublicKey), true);
  });

  it("rejects forged or altered certificates", () => {
    const other = createStudioKeys("x", CHEAP).secrets;
    assert.equal(verifyDeviceCertificate(certifyDevice(other, req), secrets.signPublicKey), false);
    assert.equal(verifyDeviceCertificate({ ...cert, deviceName: "evil" }, secrets.signPublicKey), false);
    assert.equal(verifyDeviceCertificate({ ...cert, studioId: "studio-b" }, secrets.signPublicKey), false);
    const k2 = newDeviceSigningKey().publicKey.toString("base64");
    assert.equal(verifyDeviceCertificate({ ...cert, signPublicKey: k2 }, secrets.signPublicKey), false);
    assert.equal(verifyDeviceCertificate({ ...cert, signature: "junk" }, secrets.signPublicKey), false);
    assert.equal(verifyDeviceCertificate(cert, other.signPublicKey), false);
  });

  it("refuses newlines in fields (ambiguous encoding)", () => {
    assert.throws(() => certifyDevice(secrets, { ...req, deviceName: "a\nb" }), FormatError);
  });

  it("device keys survive serialization", () => {
    const back = privateKeyFromB64(dev.privateKeyB64);
    assert.deepEqual(publicKeyToRaw(back), dev.publicKey);
    assert.equal(privateKeyToB64(back), dev.privateKeyB64);
    assert.deepEqual(publicKeyToRaw(privateKeyFromRaw("ed25519", privateKeyToRaw(back))), dev.publicKey);
    assert.throws(() => privateKeyFromB64("AAAA"), code("BAD_KEY"));
  });
});
