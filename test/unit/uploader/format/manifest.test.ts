import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  FormatError,
  bodyDigest,
  certifyDevice,
  createStudioKeys,
  decodeEntries,
  decodeRoot,
  encodeEntries,
  encodeRoot,
  newDeviceSigningKey,
  signRoot,
  verifyBody,
  verifyRoot,
  type ManifestEntry,
  type ManifestRoot,
  type UnsignedManifestRoot,
} from "../../../../uploader/format/index.ts";

const code = (c: string) => (e: unknown) => e instanceof FormatError && e.code === c;
const ID = "ab".repeat(32);

const entries: ManifestEntry[] = [
  { path: "Photos", type: "dir", mode: 0o40755, mtimeMs: 1.5e12 },
  { path: "Photos/empty", type: "file", mode: 0o100644, mtimeMs: 0, size: 0, chunks: [] },
  { path: "Photos/link", type: "symlink", mode: 0o120777, mtimeMs: 1, target: "../elsewhere" },
  { path: "Photos/Ünïcødé file.jpg", type: "file", mode: 0o100644, mtimeMs: 1.5e12 + 0.25, size: 5, chunks: [ID] },
];

describe("manifest entries", () => {
  it("round-trip as JSON Lines", () => {
    const buf = encodeEntries(entries);
    assert.equal(buf.toString().split("\n").length, entries.length + 1);
    assert.deepEqual(decodeEntries(buf), entries);
    assert.deepEqual(decodeEntries(Buffer.alloc(0)), []);
  });

  it("reject unsafe paths", () => {
    for (const path of ["/etc/passwd", "a/../../b", "..", "a//b", "a/", "", "a/./b", "a\0b"]) {
      assert.throws(() => encodeEntries([{ ...entries[0]!, path }]), code("BAD_MANIFEST"), path);
      const line = Buffer.from(JSON.stringify({ ...entries[0]!, path }) + "\n");
      assert.throws(() => decodeEntries(line), code("BAD_MANIFEST"), path);
    }
  });

  it("reject malformed entries", () => {
    const bad: unknown[] = [
      { ...entries[0]!, type: "fifo" },
      { ...entries[3]!, chunks: ["AB".repeat(32)] },
      { ...entries[3]!, size: -1 },
      { ...entries[3]!, chunks: undefined },
      { ...entries[3]!, size: 0 },
      { ...entries[0]!, size: 3 },
      { ...entries[2]!, target: "" },
      { ...entries[0]!, mode: "755" },
      { ...entries[0]!, mtimeMs: null },
    ];
    for (const e of bad) {
      assert.throws(() => decodeEntries(Buffer.from(JSON.stringify(e) + "\n")), code("BAD_MANIFEST"), JSON.stringify(e));
    }
    assert.throws(() => decodeEntries(Buffer.from("{not json}\n")), code("BAD_MANIFEST"));
    assert.throws(() => decodeEntries(Buffer.from([0xff, 0x0a])), code("BAD_MANIFEST"));
    assert.throws(() => decodeEntries(encodeEntries(entries).subarray(0, -1)), code("BAD_MANIFEST"));
    assert.throws(() => decodeEntries(Buffer.from("\n")), code("BAD_MANIFEST"));
    assert.throws(() => encodeEntries([entries[0]!, entries[0]!]), code("BAD_MANIFEST"));
  });

  it("drop unknown fields", () => {
    const line = JSON.stringify({ ...entries[0]!, future: 1 }) + "\n";
    assert.deepEqual(decodeEntries(Buffer.from(line)), [entries[0]]);
  });
});

describe("manifest root", () => {
  const CHEAP = { scrypt: { N: 1024, r: 8, p: 1 } };
  const { secrets } = createStudioKeys("pw", CHEAP);
  const dev = newDeviceSigningKey();
  const cert = certifyDevice(secrets, {
    studioId: "studio-a",
    deviceName: "pc-1",
    signPublicKey: dev.publicKey,
    issuedAt: "2025-01-01T00:00:00Z",
  });
  const body = encodeEntries(entries);
  const unsigned: UnsignedManifestRoot = {
    version: 1,
    restorePointId: "rp-7",
    studioId: "studio-a",
    deviceName: "pc-1",
    createdAt: "2025-02-03T04:05:06.000Z",
    label: "before import",
    stats: { files: 2, dirs: 1, symlinks: 1, bytes: 5 },
    body: { chunks: [ID], sha256: bodyDigest(body) },
    device: cert,
  };
  const root = signRoot(unsigned, dev.privateKey);
  const expected = { studioId: "studio-a", restorePointId: "rp-7" };
  const pub = secrets.signPublicKey;

  it("signs, encodes, decodes and verifies", async () => {
    await verifyRoot(root, pub, expected);
    const back = decodeRoot(encodeRoot(root));
    assert.deepEqual(back, root);
    await verifyRoot(back, pub, expected);
    verifyBody(root, body);
    assert.throws(() => verifyBody(root, Buffer.concat([body, Buffer.from("x")])), code("BAD_BODY"));
  });

  it("rejects tampering", async () => {
    const tampered: ManifestRoot[] = [
      { ...root, label: "other" },
      { ...root, stats: { ...root.stats, bytes: 6 } },
      { ...root, body: { ...root.body, chunks: ["cd".repeat(32)] } },
      { ...root, createdAt: "2025-02-03T04:05:07.000Z" },
    ];
    for (const t of tampered) await assert.rejects(() => verifyRoot(t, pub, expected), code("BAD_SIGNATURE"));
    await assert.rejects(
      () => verifyRoot({ ...root, signature: Buffer.alloc(64).toString("base64") }, pub, expected),
      code("BAD_SIGNATURE"),
    );
  });

  it("rejects a root signed by an uncertified or wrongly certified device", async () => {
    const rogue = newDeviceSigningKey();
    const otherStudio = createStudioKeys("pw", CHEAP).secrets;
    const forged = certifyDevice(otherStudio, { ...cert, signPublicKey: rogue.publicKey });
    await assert.rejects(
      () => verifyRoot(signRoot({ ...unsigned, device: forged }, rogue.privateKey), pub, expected),
      code("BAD_CERTIFICATE"),
    );
    // A valid certificate but a key that is not the certified one.
    await assert.rejects(() => verifyRoot(signRoot(unsigned, rogue.privateKey), pub, expected), code("BAD_SIGNATURE"));
    // A certificate for another device name.
    const pc2 = certifyDevice(secrets, { ...cert, deviceName: "pc-2", signPublicKey: dev.publicKey });
    await assert.rejects(() => verifyRoot(signRoot({ ...unsigned, device: pc2 }, dev.privateKey), pub, expected), code("BAD_CERTIFICATE"));
    await assert.rejects(() => verifyRoot(root, otherStudio.signPublicKey, expected), code("BAD_CERTIFICATE"));
  });

  it("rejects a valid root served for another restore point or studio", async () => {
    await assert.rejects(() => verifyRoot(root, pub, { ...expected, restorePointId: "rp-8" }), code("WRONG_RESTORE_POINT"));
    await assert.rejects(() => verifyRoot(root, pub, { ...expected, studioId: "studio-b" }), code("WRONG_RESTORE_POINT"));
  });

  it("decodeRoot validates", () => {
    const j = JSON.parse(encodeRoot(root).toString()) as Record<string, unknown>;
    assert.throws(() => decodeRoot(Buffer.from(JSON.stringify({ ...j, version: 2 }))), code("UNSUPPORTED_VERSION"));
    assert.throws(() => decodeRoot(Buffer.from(JSON.stringify({ ...j, stats: { files: -1 } }))), code("BAD_ROOT"));
    assert.throws(() => decodeRoot(Buffer.from(JSON.stringify({ ...j, label: 3 }))), code("BAD_ROOT"));
    assert.throws(() => decodeRoot(Buffer.from("[]")), code("BAD_ROOT"));
    assert.throws(() => decodeRoot(Buffer.from("{")), code("BAD_ROOT"));
  });
});
