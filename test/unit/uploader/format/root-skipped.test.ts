import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  certifyDevice,
  createStudioKeys,
  decodeRoot,
  encodeRoot,
  newDeviceSigningKey,
  signRoot,
  verifyRoot,
  type UnsignedManifestRoot,
} from "../../../../uploader/format/index.ts";

describe("manifest root: skipped files", () => {
  const { secrets } = createStudioKeys("passphrase", { scrypt: { N: 1024, r: 8, p: 1 } });
  const device = newDeviceSigningKey();
  const cert = certifyDevice(secrets, {
    studioId: "s1",
    deviceName: "pc",
    signPublicKey: device.publicKey,
    issuedAt: new Date(0).toISOString(),
  });
  const unsigned: UnsignedManifestRoot = {
    version: 1,
    restorePointId: "rp1",
    studioId: "s1",
    deviceName: "pc",
    createdAt: new Date(0).toISOString(),
    label: null,
    stats: { files: 1, dirs: 0, symlinks: 0, bytes: 3 },
    body: { chunks: [], sha256: "0".repeat(64) },
    device: cert,
    skipped: [{ path: "Photos/locked.db", error: "EBUSY: resource busy" }],
  };

  it("are signed with the root and survive encoding", async () => {
    const root = decodeRoot(encodeRoot(signRoot(unsigned, device.privateKey)));
    assert.deepEqual(root.skipped, unsigned.skipped);
    await verifyRoot(root, secrets.signPublicKey, { studioId: "s1", restorePointId: "rp1" });
    await assert.rejects(
      () => verifyRoot({ ...root, skipped: [] }, secrets.signPublicKey, { studioId: "s1", restorePointId: "rp1" }),
      /BAD_SIGNATURE/,
    );
  });

  it("a root without them stays valid (older roots) and unsafe paths are refused", () => {
    const { skipped: _s, ...plain } = unsigned;
    const root = decodeRoot(encodeRoot(signRoot(plain, device.privateKey)));
    assert.equal(root.skipped, undefined);
    assert.throws(() => signRoot({ ...unsigned, skipped: [{ path: "../etc/passwd", error: "x" }] }, device.privateKey));
  });
});
