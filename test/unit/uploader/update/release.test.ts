import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { compareVersions, isBehind } from "../../../../protocol/release.ts";
import {
  endorseKey,
  newReleaseKey,
  ReleaseRefused,
  signRelease,
  verifyRelease,
  type ReleaseManifest,
} from "../../../../uploader/update/release.ts";

const now = new Date("2026-12-03T12:00:00Z");
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

function manifest(over: Partial<ReleaseManifest> = {}): Buffer {
  const m: ReleaseManifest = {
    version: "0.2.0",
    node: "24.21.0",
    bundleSha256: sha("bundle"),
    workerSha256: sha("worker"),
    files: [{ name: "datasafe-linux-x64", target: "linux-x64", size: 10, sha256: sha("exe") }],
    signedAt: "2026-12-01T00:00:00.000Z",
    expiresAt: "2026-12-31T00:00:00.000Z",
    ...over,
  };
  return Buffer.from(JSON.stringify(m));
}

const refused = (re: RegExp) => (e: unknown) => e instanceof ReleaseRefused && re.test(e.message);

test("a release signed by a trusted key verifies; any change to its bytes does not", () => {
  const key = newReleaseKey();
  const bytes = manifest();
  const sig = signRelease(bytes, key.privatePem);
  assert.equal(verifyRelease(bytes, sig, [key.publicKey], now).version, "0.2.0");
  const tampered = Buffer.from(bytes.toString().replace("0.2.0", "0.2.1"));
  assert.throws(() => verifyRelease(tampered, sig, [key.publicKey], now), refused(/signature invalid/));
  assert.throws(() => verifyRelease(bytes, sig, [newReleaseKey().publicKey], now), refused(/unknown key/));
  assert.throws(() => verifyRelease(bytes, sig, [], now), refused(/no release key/));
});

test("an expired manifest is refused even with a good signature (no freeze by replay)", () => {
  const key = newReleaseKey();
  const bytes = manifest({ expiresAt: "2026-12-02T00:00:00.000Z" });
  assert.throws(() => verifyRelease(bytes, signRelease(bytes, key.privatePem), [key.publicKey], now), refused(/expired/));
});

test("key rotation: the old key endorses the new one; an endorsement by a stranger is refused", () => {
  const old = newReleaseKey();
  const next = newReleaseKey();
  const bytes = manifest();
  const signed = signRelease(bytes, next.privatePem, [endorseKey(next.publicKey, old.privatePem)]);
  assert.equal(verifyRelease(bytes, signed, [old.publicKey], now).version, "0.2.0");
  const stranger = newReleaseKey();
  const forged = signRelease(bytes, next.privatePem, [endorseKey(next.publicKey, stranger.privatePem)]);
  assert.throws(() => verifyRelease(bytes, forged, [old.publicKey], now), refused(/endorsement/));
  // Without the endorsement the new key is unknown to a PC built with the old one.
  assert.throws(() => verifyRelease(bytes, signRelease(bytes, next.privatePem), [old.publicKey], now), refused(/unknown key/));
});

test("a signed but malformed manifest is refused", () => {
  const key = newReleaseKey();
  const bytes = Buffer.from(JSON.stringify({ version: "latest" }));
  assert.throws(() => verifyRelease(bytes, signRelease(bytes, key.privatePem), [key.publicKey], now), refused(/malformed/));
});

test("versions compare numerically", () => {
  assert.equal(compareVersions("0.10.0", "0.9.9"), 1);
  assert.equal(compareVersions("1.0.0", "1.0.0"), 0);
  assert.equal(compareVersions("1.2.3", "1.10.0"), -1);
  assert.equal(isBehind("0.9.9", "0.10.0"), true);
  assert.equal(isBehind("0.10.0", "0.10.0"), false);
  assert.equal(isBehind("0.11.0", "0.10.0"), false);
  assert.equal(isBehind("dev-checkout", "0.10.0"), null);
});
