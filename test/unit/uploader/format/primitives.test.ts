// FORMAT.md's test vectors against both implementations of the format's primitives: node:crypto
// (the CLI) and WebCrypto (the browser's restore page, here on Node's globalThis.crypto.subtle),
// through the shared read path (reader-*.ts) the CLI and the browser both run.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  agree,
  certificateValid,
  certifyDevice,
  chunkAad,
  chunkId,
  createStudioKeys,
  decodeRoot,
  decompressWith,
  deriveSessionKey,
  encodeEntries,
  encodeRoot,
  FormatError,
  newSessionKey,
  nodePrimitives,
  openEnvelope,
  privateKeyFromRaw,
  publicKeyToRaw,
  rootSigningMessage,
  sealChunk,
  SessionKeys,
  signRoot,
  studioSecretsFromRaw,
  unlockKeyset,
  verifyBodyWith,
  verifyRootWith,
  webPrimitives,
  type FormatPrimitives,
} from "../../../../uploader/format/index.ts";
import { compress } from "../../../../uploader/format/compress.ts";

const seq = (start: number, n = 32) => Buffer.from(Array.from({ length: n }, (_, i) => (start + i) & 0xff));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const code = (c: string) => (err: unknown) => err instanceof FormatError && err.code === c;
const idKey = seq(0x20);
const boxPriv = seq(0x40);
const signPriv = seq(0x60);
const ephPriv = seq(0x80);
const nonce = seq(0xa0, 12);
const STUDIO = "studio-test";
const pt = Buffer.from("hello datasafe");
const BOX_PUB = "79a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51a";
const SIGN_PUB = "174553b456dddfc6908ecab1c101fe6ab21e2baa0617795b7d43a63482993fd5";
const EPH_PUB = "493e82fc74464a59268817623d2053c5eb8e2cc4a988b4fee179ec6b010d531d";
const ID = "fa7af9a045f8bd6b2a51a6445a4b293e44a1f443cbc3585f617da8d63f3b365f";
const ENVELOPE =
  "44534301493e82fc74464a59268817623d2053c5eb8e2cc4a988b4fee179ec6b010d531da0a1a2a3a4a5a6a7a8a9aaab" +
  "53102cd6720480c3839b0b3d82ae5d3f254e7c715ff77f98478bca3caccf74";

// The vector root (FORMAT.md §8), built with the CLI's signing code.
const secrets = studioSecretsFromRaw({ boxPrivateKey: boxPriv, signPrivateKey: signPriv, chunkIdKey: idKey, chunkerKey: seq(0) });
const devKey = privateKeyFromRaw("ed25519", seq(0xc0));
const cert = certifyDevice(secrets, {
  studioId: STUDIO,
  deviceName: "front-desk",
  signPublicKey: publicKeyToRaw(devKey),
  issuedAt: "2025-01-01T00:00:00.000Z",
});
const body = encodeEntries([
  { path: "Photos", type: "dir", mode: 0o40755, mtimeMs: 1735689600000 },
  { path: "Photos/a.jpg", type: "file", mode: 0o100644, mtimeMs: 1735689600000, size: 14, chunks: [ID] },
]);
const rootJson = encodeRoot(
  signRoot(
    {
      version: 1,
      restorePointId: "rp-1",
      studioId: STUDIO,
      deviceName: "front-desk",
      createdAt: "2025-01-01T00:00:00.000Z",
      label: null,
      stats: { files: 1, dirs: 1, symlinks: 0, bytes: 14 },
      body: { chunks: [hex(chunkId(idKey, body))], sha256: "ad59b343617639aa6fab0f530edad3fb67a6ec18a9bd5f40af5ea2f87a83eb30" },
      device: cert,
    },
    devKey,
  ),
);

const IMPLEMENTATIONS: FormatPrimitives[] = [nodePrimitives, webPrimitives(globalThis.crypto)];

for (const p of IMPLEMENTATIONS) {
  describe(`format primitives on ${p.name}: FORMAT.md vectors`, () => {
    it("raw key encodings (RFC 7748 §6.1, RFC 8032 §7.1) and the studio public keys", async () => {
      const x = Buffer.from("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "hex");
      assert.equal(hex(await p.x25519PublicKey(x)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
      const e = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex");
      assert.equal(hex(await p.ed25519PublicKey(e)), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
      assert.equal(hex(await p.x25519PublicKey(boxPriv)), BOX_PUB);
      assert.equal(hex(await p.ed25519PublicKey(signPriv)), SIGN_PUB);
    });

    it("chunk id, session key from both sides, envelope sealed and opened", async () => {
      assert.equal(hex(await p.hmacSha256(idKey, pt)), ID);
      const boxPub = Buffer.from(BOX_PUB, "hex");
      const ephPub = Buffer.from(EPH_PUB, "hex");
      assert.equal(hex(await p.x25519PublicKey(ephPriv)), EPH_PUB);
      const writer = await deriveSessionKey(p, await agree(p, ephPriv, boxPub), ephPub, boxPub);
      assert.equal(hex(writer), "fc355211a76f54d257d87b003e1b2d23d3ae67c6eaf4dccee1fbdf7b24a20a19");
      const keys = new SessionKeys(p, boxPriv, boxPub);
      assert.equal(hex(await keys.key(ephPub)), hex(writer));
      const sealed = await p.aesGcmEncrypt(writer, nonce, chunkAad(STUDIO, Buffer.from(ID, "hex")), Buffer.concat([Buffer.of(0), pt]));
      assert.equal(ENVELOPE.endsWith(hex(sealed)), true);
      const envelope = Buffer.from(ENVELOPE, "hex");
      assert.equal(Buffer.from(await openEnvelope(p, keys, idKey, STUDIO, Buffer.from(ID, "hex"), envelope)).toString(), "hello datasafe");
      // Another studio, another id, a flipped bit: AUTH_FAILED; a low-order key: BAD_KEY.
      await assert.rejects(openEnvelope(p, keys, idKey, "studio-other", Buffer.from(ID, "hex"), envelope), code("AUTH_FAILED"));
      const flipped = Buffer.from(envelope);
      flipped[60]! ^= 1;
      await assert.rejects(openEnvelope(p, keys, idKey, STUDIO, Buffer.from(ID, "hex"), flipped), code("AUTH_FAILED"));
      await assert.rejects(agree(p, boxPriv, Buffer.alloc(32)), code("BAD_KEY"));
    });

    it("recovery and passphrase KEKs", async () => {
      assert.equal(
        hex(await p.hkdfSha256(seq(0), new Uint8Array(0), "datasafe/v1/recovery", 32)),
        "d34e652196b6551f164c773f61b8fb846bdafe4502160a536470aa881bff2fe4",
      );
      const kek = await p.scrypt(Buffer.from("correct horse battery staple"), seq(0, 16), { N: 1024, r: 8, p: 1 }, 32);
      assert.equal(hex(kek), "9a9f74cc441de571a18c4bf8580ad51f86745d14b39065ad24ad92fc05c99515");
    });

    it("device certificate, root signing bytes, root and body verification", async () => {
      assert.equal(await certificateValid(p, cert, Buffer.from(SIGN_PUB, "hex")), true);
      assert.equal(await certificateValid(p, { ...cert, deviceName: "back-office" }, Buffer.from(SIGN_PUB, "hex")), false);
      const root = decodeRoot(rootJson);
      assert.equal(
        hex(await rootSigningMessage(p, root)),
        "64617461736166652f76312f6d616e69666573742d726f6f740a" + "a33ce45863ff66ddddd91b34051ffc08737dc76cd8f2c27763e409e2715b20cd",
      );
      const pub = Buffer.from(SIGN_PUB, "hex");
      await verifyRootWith(p, root, pub, { studioId: STUDIO, restorePointId: "rp-1" });
      await assert.rejects(
        verifyRootWith(p, { ...root, label: "x" }, pub, { studioId: STUDIO, restorePointId: "rp-1" }),
        code("BAD_SIGNATURE"),
      );
      await assert.rejects(verifyRootWith(p, root, pub, { studioId: STUDIO, restorePointId: "rp-2" }), code("WRONG_RESTORE_POINT"));
      await assert.rejects(
        verifyRootWith(p, root, Buffer.from(BOX_PUB, "hex"), { studioId: STUDIO, restorePointId: "rp-1" }),
        code("BAD_CERTIFICATE"),
      );
      await verifyBodyWith(p, root, body);
      await assert.rejects(verifyBodyWith(p, root, Buffer.concat([body, Buffer.from("x")])), code("BAD_BODY"));
    });

    it("unlocks a keyset made by the CLI with the passphrase and the recovery key", async () => {
      const made = createStudioKeys("correct horse", { scrypt: { N: 1024, r: 8, p: 1 } });
      for (const secret of [{ passphrase: "correct horse" }, { recoveryKey: made.recoveryKey }]) {
        const raw = await unlockKeyset(p, made.keyset, secret);
        assert.equal(hex(raw.chunkIdKey), hex(made.secrets.chunkIdKey));
        assert.equal(hex(raw.boxPublicKey), hex(made.secrets.boxPublicKey));
        assert.equal(hex(raw.signPublicKey), hex(made.secrets.signPublicKey));
      }
      await assert.rejects(unlockKeyset(p, made.keyset, { passphrase: "wrong horse" }), code("BAD_PASSPHRASE"));
      const other = createStudioKeys("x", { scrypt: { N: 1024, r: 8, p: 1 } }).recoveryKey;
      await assert.rejects(unlockKeyset(p, made.keyset, { recoveryKey: other }), code("BAD_RECOVERY_KEY"));
      const swapped = { ...made.keyset, boxPublicKey: Buffer.from(BOX_PUB, "hex").toString("base64") };
      await assert.rejects(unlockKeyset(p, swapped, { passphrase: "correct horse" }), code("BAD_PASSPHRASE"));
      const costly = {
        ...made.keyset,
        passphrase: { ...made.keyset.passphrase, kdf: { ...made.keyset.passphrase.kdf, N: 2 ** 20, r: 8 } },
      };
      await assert.rejects(unlockKeyset(p, costly, { passphrase: "correct horse" }), code("BAD_KEYSET"));
    });

    it("opens what the CLI sealed (stored and zstd), and refuses an oversized frame from its header", async () => {
      const boxPub = secrets.boxPublicKey;
      const session = newSessionKey(boxPub);
      const keys = new SessionKeys(p, boxPriv, boxPub);
      const random = randomBytes(200_000);
      const stored = await sealChunk(session, idKey, STUDIO, random);
      assert.equal(stored.codec, 0);
      assert.equal(hex(await openEnvelope(p, keys, idKey, STUDIO, stored.id, stored.envelope)), hex(random));
      const text = Buffer.from("a studio's database page ".repeat(4000));
      const packed = await sealChunk(session, idKey, STUDIO, text);
      assert.equal(packed.codec, 2);
      assert.equal(hex(await openEnvelope(p, keys, idKey, STUDIO, packed.id, packed.envelope)), hex(text));
      // A frame claiming more than a chunk is refused from its header, before any decoder runs.
      const { data } = await compress(Buffer.alloc(5 * 1024 * 1024));
      await assert.rejects(decompressWith(p, 2, data), code("TOO_LARGE"));
    });
  });
}
