import assert from "node:assert/strict";
import { createCipheriv, createHash } from "node:crypto";
import { describe, it } from "node:test";
import {
  Chunker,
  DecryptKeyring,
  bodyDigest,
  certifyDevice,
  chunkId,
  decryptChunk,
  encodeEntries,
  encodeRoot,
  encryptChunk,
  formatRecoveryKey,
  gearTable,
  newSessionKey,
  passphraseKek,
  privateKeyFromRaw,
  publicKeyToRaw,
  recoveryKek,
  rootSigningBytes,
  signRoot,
  studioSecretsFromRaw,
  verifyRoot,
  type ChunkerParams,
} from "../../../../uploader/format/index.ts";

// The fixed inputs and expected values of FORMAT.md, section "Test vectors". If one of these
// fails, the format changed: bump FORMAT_VERSION instead of editing the expectation.
const seq = (start: number, n = 32) => Buffer.from(Array.from({ length: n }, (_, i) => (start + i) & 0xff));
const stream = (n: number) => createCipheriv("aes-256-ctr", Buffer.alloc(32), Buffer.alloc(16)).update(Buffer.alloc(n));
const chunkerKey = seq(0x00),
  idKey = seq(0x20),
  boxPriv = seq(0x40),
  signPriv = seq(0x60);
const ephPriv = seq(0x80),
  nonce = seq(0xa0, 12),
  devPriv = seq(0xc0);
const STUDIO = "studio-test";
const secrets = studioSecretsFromRaw({ boxPrivateKey: boxPriv, signPrivateKey: signPriv, chunkIdKey: idKey, chunkerKey });
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function lengths(params: ChunkerParams | undefined, n: number): number[] {
  const c = new Chunker(chunkerKey, params);
  const out = c.push(stream(n));
  const last = c.finish();
  if (last) out.push(last);
  return out.map((x) => x.length);
}

describe("FORMAT.md test vectors", () => {
  it("X25519/Ed25519 raw encodings match RFC 7748 §6.1 and RFC 8032 §7.1", () => {
    const x = privateKeyFromRaw("x25519", Buffer.from("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "hex"));
    assert.equal(hex(publicKeyToRaw(x)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    const e = privateKeyFromRaw("ed25519", Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex"));
    assert.equal(hex(publicKeyToRaw(e)), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  });

  it("gear table", () => {
    const g = gearTable(chunkerKey);
    assert.deepEqual(
      Array.from(g.slice(0, 4), (v) => v.toString(16).padStart(8, "0")),
      ["66cebb13", "dd9a84ac", "3ace0daf", "2d6c13ed"],
    );
    assert.equal(
      createHash("sha256").update(new Uint8Array(g.buffer)).digest("hex"),
      "16c4a76663d31abe8e57fbc43d813ae037786caa50ba298f6f40b6655f6b1757",
    );
  });

  it("chunk boundaries", () => {
    assert.deepEqual(
      lengths({ min: 8192, avg: 32768, max: 131072 }, 1 << 20),
      [
        20284, 39309, 34176, 51028, 33303, 39846, 36548, 32852, 33794, 19715, 41836, 36790, 33445, 37013, 28712, 43698, 32977, 42481, 37261,
        36697, 22948, 36980, 39528, 24470, 38197, 45755, 45043, 34340, 40896, 8654,
      ],
    );
    assert.deepEqual(lengths(undefined, 8 << 20), [717869, 1214562, 1183654, 1104598, 1082904, 847829, 1566252, 670940]);
  });

  const pt = Buffer.from("hello datasafe", "utf8");
  const id = chunkId(idKey, pt);

  it("chunk id, studio public keys, session key, envelope", () => {
    assert.equal(hex(id), "fa7af9a045f8bd6b2a51a6445a4b293e44a1f443cbc3585f617da8d63f3b365f");
    assert.equal(hex(secrets.boxPublicKey), "79a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51a");
    assert.equal(hex(secrets.signPublicKey), "174553b456dddfc6908ecab1c101fe6ab21e2baa0617795b7d43a63482993fd5");
    const s = newSessionKey(secrets.boxPublicKey, ephPriv);
    assert.equal(hex(s.ephemeralPublicKey), "493e82fc74464a59268817623d2053c5eb8e2cc4a988b4fee179ec6b010d531d");
    assert.equal(hex(s.key), "fc355211a76f54d257d87b003e1b2d23d3ae67c6eaf4dccee1fbdf7b24a20a19");
    const env = encryptChunk(s, STUDIO, id, 0, pt, nonce);
    assert.equal(
      hex(env),
      "44534301493e82fc74464a59268817623d2053c5eb8e2cc4a988b4fee179ec6b010d531da0a1a2a3a4a5a6a7a8a9aaab" +
        "53102cd6720480c3839b0b3d82ae5d3f254e7c715ff77f98478bca3caccf74",
    );
    assert.deepEqual(decryptChunk(new DecryptKeyring(secrets), STUDIO, id, env), { codec: 0, payload: pt });
  });

  it("key wrapping KEKs and recovery key text", () => {
    assert.equal(formatRecoveryKey(seq(0)), "000G-40R4-0M30-E209-185G-R38E-1W81-24GK-2GAH-C5RR-34D1-P70X-3RFG");
    assert.equal(hex(recoveryKek(seq(0))), "d34e652196b6551f164c773f61b8fb846bdafe4502160a536470aa881bff2fe4");
    assert.equal(
      hex(passphraseKek("correct horse battery staple", seq(0, 16), { N: 1024, r: 8, p: 1 })),
      "9a9f74cc441de571a18c4bf8580ad51f86745d14b39065ad24ad92fc05c99515",
    );
  });

  it("device certificate and manifest root", async () => {
    const devKey = privateKeyFromRaw("ed25519", devPriv);
    const cert = certifyDevice(secrets, {
      studioId: STUDIO,
      deviceName: "front-desk",
      signPublicKey: publicKeyToRaw(devKey),
      issuedAt: "2025-01-01T00:00:00.000Z",
    });
    assert.equal(cert.signPublicKey, "3eO8zsfzpmoRFfRdcg9NwTXDrnxOItyjj9se/WpJX/g=");
    assert.equal(cert.signature, "fDXkxjc8h2lGWyXLdzUfjdVO1pipPHvNGUieSfsH3o0CcJlgMoxvCOXrv/gAUTcJ3V3D+cMkc+UnAwPqC8StAg==");
    const body = encodeEntries([
      { path: "Photos", type: "dir", mode: 0o40755, mtimeMs: 1735689600000 },
      { path: "Photos/a.jpg", type: "file", mode: 0o100644, mtimeMs: 1735689600000, size: 14, chunks: [hex(id)] },
    ]);
    assert.equal(
      body.toString(),
      '{"path":"Photos","type":"dir","mode":16877,"mtimeMs":1735689600000}\n' +
        '{"path":"Photos/a.jpg","type":"file","mode":33188,"mtimeMs":1735689600000,"size":14,' +
        '"chunks":["fa7af9a045f8bd6b2a51a6445a4b293e44a1f443cbc3585f617da8d63f3b365f"]}\n',
    );
    assert.equal(bodyDigest(body), "ad59b343617639aa6fab0f530edad3fb67a6ec18a9bd5f40af5ea2f87a83eb30");
    const root = signRoot(
      {
        version: 1,
        restorePointId: "rp-1",
        studioId: STUDIO,
        deviceName: "front-desk",
        createdAt: "2025-01-01T00:00:00.000Z",
        label: null,
        stats: { files: 1, dirs: 1, symlinks: 0, bytes: 14 },
        body: { chunks: [hex(chunkId(idKey, body))], sha256: bodyDigest(body) },
        device: cert,
      },
      devKey,
    );
    assert.equal(
      hex(rootSigningBytes(root)),
      "64617461736166652f76312f6d616e69666573742d726f6f740a" + "a33ce45863ff66ddddd91b34051ffc08737dc76cd8f2c27763e409e2715b20cd",
    );
    assert.equal(root.signature, "xij7k38coUp7XO2eVwkYQFl9rTJjxoTEaF4wdoC8/cAJc6P7TMhOc8FWXEYtVye/ZICHhQKn31FXlY9eRE4UDQ==");
    assert.equal(
      encodeRoot(root).toString(),
      '{"body":{"chunks":["09c07285ecb5b009c1dd562f00adeebc8fe856693874c4d2506a8e25eb241fc8"],' +
        '"sha256":"ad59b343617639aa6fab0f530edad3fb67a6ec18a9bd5f40af5ea2f87a83eb30"},"createdAt":"2025-01-01T00:00:00.000Z",' +
        '"device":{"deviceName":"front-desk","issuedAt":"2025-01-01T00:00:00.000Z",' +
        '"signPublicKey":"3eO8zsfzpmoRFfRdcg9NwTXDrnxOItyjj9se/WpJX/g=",' +
        '"signature":"fDXkxjc8h2lGWyXLdzUfjdVO1pipPHvNGUieSfsH3o0CcJlgMoxvCOXrv/gAUTcJ3V3D+cMkc+UnAwPqC8StAg==",' +
        '"studioId":"studio-test"},"deviceName":"front-desk","label":null,"restorePointId":"rp-1",' +
        '"signature":"xij7k38coUp7XO2eVwkYQFl9rTJjxoTEaF4wdoC8/cAJc6P7TMhOc8FWXEYtVye/ZICHhQKn31FXlY9eRE4UDQ==",' +
        '"stats":{"bytes":14,"dirs":1,"files":1,"symlinks":0},"studioId":"studio-test","version":1}',
    );
    await verifyRoot(root, secrets.signPublicKey, { studioId: STUDIO, restorePointId: "rp-1" });
  });
});
