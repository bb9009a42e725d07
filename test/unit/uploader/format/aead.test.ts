import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  CODEC_NONE,
  CODEC_ZSTD,
  DecryptKeyring,
  ENVELOPE_OVERHEAD,
  FormatError,
  MAX_CIPHERTEXT_SIZE,
  chunkId,
  createStudioKeys,
  decryptChunk,
  encryptChunk,
  newSessionKey,
  openChunk,
  sealChunk,
} from "../../../../uploader/format/index.ts";

const code = (c: string) => (e: unknown) => e instanceof FormatError && e.code === c;
const { secrets } = createStudioKeys("pw", { scrypt: { N: 1024, r: 8, p: 1 } });
const other = createStudioKeys("pw", { scrypt: { N: 1024, r: 8, p: 1 } }).secrets;
const keyring = new DecryptKeyring(secrets);
const idKey = secrets.chunkIdKey;
const STUDIO = "studio-a";

describe("chunk envelope", () => {
  const session = newSessionKey(secrets.boxPublicKey);
  const plain = Buffer.from("some chunk content");
  const id = chunkId(idKey, plain);
  const env = encryptChunk(session, STUDIO, id, CODEC_NONE, plain);

  it("round-trips and has the documented layout", () => {
    assert.equal(env.length, plain.length + ENVELOPE_OVERHEAD);
    assert.equal(env.subarray(0, 3).toString(), "DSC");
    assert.equal(env[3], 1);
    assert.deepEqual(env.subarray(4, 36), session.ephemeralPublicKey);
    assert.deepEqual(decryptChunk(keyring, STUDIO, id, env), { codec: CODEC_NONE, payload: plain });
  });

  it("rejects any flipped byte", () => {
    for (let i = 4; i < env.length; i++) {
      const bad = Buffer.from(env);
      bad[i]! ^= 1;
      assert.throws(() => decryptChunk(keyring, STUDIO, id, bad), code("AUTH_FAILED"), `byte ${i}`);
    }
  });

  it("rejects wrong studio, id, key, magic, version, truncation", () => {
    assert.throws(() => decryptChunk(keyring, "studio-b", id, env), code("AUTH_FAILED"));
    assert.throws(() => decryptChunk(keyring, STUDIO, chunkId(idKey, Buffer.from("x")), env), code("AUTH_FAILED"));
    assert.throws(() => decryptChunk(new DecryptKeyring(other), STUDIO, id, env), code("AUTH_FAILED"));
    assert.throws(() => decryptChunk(keyring, STUDIO, id, Buffer.concat([Buffer.from("XSC"), env.subarray(3)])), code("BAD_MAGIC"));
    const v2 = Buffer.from(env);
    v2[3] = 2;
    assert.throws(() => decryptChunk(keyring, STUDIO, id, v2), code("UNSUPPORTED_VERSION"));
    assert.throws(() => decryptChunk(keyring, STUDIO, id, env.subarray(0, ENVELOPE_OVERHEAD - 1)), code("TRUNCATED"));
    assert.throws(() => decryptChunk(keyring, STUDIO, id, env.subarray(0, env.length - 1)), code("AUTH_FAILED"));
  });

  it("uses a fresh nonce per envelope", () => {
    const again = encryptChunk(session, STUDIO, id, CODEC_NONE, plain);
    assert.notDeepEqual(again.subarray(36, 48), env.subarray(36, 48));
  });
});

describe("sealChunk / openChunk", () => {
  const session = newSessionKey(secrets.boxPublicKey);

  it("round-trips compressible and incompressible chunks", async () => {
    for (const plain of [Buffer.from("text ".repeat(100_000)), randomBytes(300_000), Buffer.alloc(0)]) {
      const s = await sealChunk(session, idKey, STUDIO, plain);
      assert.deepEqual(s.id, chunkId(idKey, plain));
      assert.equal(s.plainSize, plain.length);
      assert.ok(s.envelope.length <= plain.length + ENVELOPE_OVERHEAD && s.envelope.length <= MAX_CIPHERTEXT_SIZE);
      assert.deepEqual(await openChunk(keyring, idKey, STUDIO, s.id, s.envelope), plain);
    }
    const text = await sealChunk(session, idKey, STUDIO, Buffer.from("text ".repeat(100_000)));
    assert.equal(text.codec, CODEC_ZSTD);
  });

  it("rejects a swapped chunk (envelope of another id)", async () => {
    const a = await sealChunk(session, idKey, STUDIO, Buffer.from("chunk A"));
    const b = await sealChunk(session, idKey, STUDIO, Buffer.from("chunk B"));
    await assert.rejects(openChunk(keyring, idKey, STUDIO, a.id, b.envelope), code("AUTH_FAILED"));
  });

  it("rejects content that does not match its id even when it authenticates", async () => {
    const a = chunkId(idKey, Buffer.from("chunk A"));
    const env = encryptChunk(session, STUDIO, a, CODEC_NONE, Buffer.from("not chunk A"));
    await assert.rejects(openChunk(keyring, idKey, STUDIO, a, env), code("ID_MISMATCH"));
  });

  it("enforces maxSize on open", async () => {
    const s = await sealChunk(session, idKey, STUDIO, Buffer.alloc(10_000, 7));
    await assert.rejects(openChunk(keyring, idKey, STUDIO, s.id, s.envelope, 9_999), code("TOO_LARGE"));
  });

  it("a session key never decrypts without the studio private key", () => {
    // The keyring of another studio derives a different key from the same ephemeral public key.
    assert.notDeepEqual(new DecryptKeyring(other).sessionKey(session.ephemeralPublicKey), session.key);
    assert.deepEqual(keyring.sessionKey(session.ephemeralPublicKey), session.key);
  });
});
