import {
  createCipheriv,
  createDecipheriv,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  scryptSync,
  type KeyObject,
  type ScryptOptions,
} from "node:crypto";
import { FORMAT_VERSION, NONCE_SIZE, TAG_SIZE } from "./constants.ts";
import {
  checkScrypt,
  DEFAULT_SCRYPT,
  keysetAad,
  keysetPublicKeys,
  SECRETS_SIZE,
  type Keyset,
  type ScryptParams,
  type WrappedSecrets,
} from "./keys-shape.ts";
import { FormatError } from "./errors.ts";
import { b64ToBytes, privateKeyFromRaw, privateKeyToRaw, publicKeyToRaw } from "./rawkeys.ts";
import { nodePrimitives } from "./node-primitives.ts";
import { unlockKeyset, type RawStudioSecrets } from "./reader-keys.ts";
import { formatRecoveryKey, parseRecoveryKey } from "./recovery.ts";

export { DEFAULT_SCRYPT, keysetChunking, MAX_SCRYPT_MEMORY, type Keyset, type ScryptParams, type WrappedSecrets } from "./keys-shape.ts";

/**
 * Studio keys. The secrets are wrapped twice (passphrase, recovery key) into a Keyset the
 * server stores opaquely; either wrapper unlocks them on a new PC.
 */
export interface StudioSecrets {
  boxPrivateKey: KeyObject;
  signPrivateKey: KeyObject;
  boxPublicKey: Buffer;
  signPublicKey: Buffer;
  chunkIdKey: Buffer;
  chunkerKey: Buffer;
}

function serializeSecrets(s: StudioSecrets): Buffer {
  return Buffer.concat([
    Buffer.of(FORMAT_VERSION),
    privateKeyToRaw(s.boxPrivateKey),
    privateKeyToRaw(s.signPrivateKey),
    s.chunkIdKey,
    s.chunkerKey,
  ]);
}

function secretsFromParts(box: Buffer, sign: Buffer, chunkIdKey: Buffer, chunkerKey: Buffer): StudioSecrets {
  const boxPrivateKey = privateKeyFromRaw("x25519", box);
  const signPrivateKey = privateKeyFromRaw("ed25519", sign);
  return {
    boxPrivateKey,
    signPrivateKey,
    chunkIdKey,
    chunkerKey,
    boxPublicKey: publicKeyToRaw(boxPrivateKey),
    signPublicKey: publicKeyToRaw(signPrivateKey),
  };
}

function deserializeSecrets(buf: Buffer): StudioSecrets {
  if (buf.length !== SECRETS_SIZE || buf[0] !== FORMAT_VERSION) throw new FormatError("BAD_KEYSET", "secrets blob");
  const part = (i: number) => Buffer.from(buf.subarray(1 + 32 * i, 33 + 32 * i));
  return secretsFromParts(part(0), part(1), part(2), part(3));
}

function scryptInput(passphrase: string, params: ScryptParams): { password: Buffer; options: ScryptOptions } {
  checkScrypt(params);
  const { N, r, p } = params;
  // scrypt needs 128*N*r bytes (+ 128*r*p); Node's default maxmem is 32 MiB.
  const maxmem = 128 * N * r + 128 * r * p + 16 * 1024 * 1024;
  return { password: Buffer.from(passphrase.normalize("NFC"), "utf8"), options: { N, r, p, maxmem } };
}

/** KEK from the passphrase. NFC-normalized so the same passphrase typed on macOS and Windows matches. */
export function passphraseKek(passphrase: string, salt: Buffer, params: ScryptParams): Buffer {
  const { password, options } = scryptInput(passphrase, params);
  return scryptSync(password, salt, 32, options);
}

export function recoveryKek(recoveryBytes: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", recoveryBytes, Buffer.alloc(0), "datasafe/v1/recovery", 32));
}

function wrap(kek: Buffer, aad: Buffer, plain: Buffer): WrappedSecrets {
  const nonce = randomBytes(NONCE_SIZE);
  const c = createCipheriv("aes-256-gcm", kek, nonce, { authTagLength: TAG_SIZE });
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  return { nonce: nonce.toString("base64"), ciphertext: ct.toString("base64") };
}

function unwrap(kek: Buffer, aad: Buffer, w: WrappedSecrets, failure: "BAD_PASSPHRASE" | "BAD_RECOVERY_KEY"): Buffer {
  const nonce = b64ToBytes(w?.nonce, NONCE_SIZE, "keyset nonce");
  const ct = b64ToBytes(w?.ciphertext, null, "keyset ciphertext");
  if (ct.length < TAG_SIZE) throw new FormatError("BAD_KEYSET", "ciphertext too short");
  try {
    const d = createDecipheriv("aes-256-gcm", kek, nonce, { authTagLength: TAG_SIZE });
    d.setAAD(aad);
    d.setAuthTag(ct.subarray(ct.length - TAG_SIZE));
    return Buffer.concat([d.update(ct.subarray(0, ct.length - TAG_SIZE)), d.final()]);
  } catch (err) {
    // GCM cannot tell a wrong secret from a tampered keyset; the wrong secret is the likely case.
    throw new FormatError(failure, failure === "BAD_PASSPHRASE" ? "wrong passphrase" : "wrong recovery key", { cause: err });
  }
}

export interface CreatedStudioKeys {
  keyset: Keyset;
  recoveryKey: string;
  secrets: StudioSecrets;
}

export function createStudioKeys(passphrase: string, opts: { scrypt?: ScryptParams } = {}): CreatedStudioKeys {
  if (passphrase.length === 0) throw new FormatError("BAD_ARGUMENT", "empty passphrase");
  const params = opts.scrypt ?? DEFAULT_SCRYPT;
  const secrets = secretsFromParts(
    privateKeyToRaw(generateKeyPairSync("x25519").privateKey),
    privateKeyToRaw(generateKeyPairSync("ed25519").privateKey),
    randomBytes(32),
    randomBytes(32),
  );
  const plain = serializeSecrets(secrets);
  const aad = keysetAad(secrets.boxPublicKey, secrets.signPublicKey);
  const salt = randomBytes(16);
  const recoveryBytes = randomBytes(32);
  const keyset: Keyset = {
    version: 1,
    boxPublicKey: secrets.boxPublicKey.toString("base64"),
    signPublicKey: secrets.signPublicKey.toString("base64"),
    chunking: 3,
    passphrase: {
      kdf: { alg: "scrypt", N: params.N, r: params.r, p: params.p, salt: salt.toString("base64") },
      ...wrap(passphraseKek(passphrase, salt, params), aad, plain),
    },
    recovery: wrap(recoveryKek(recoveryBytes), aad, plain),
  };
  plain.fill(0);
  return { keyset, recoveryKey: formatRecoveryKey(recoveryBytes), secrets };
}

/** Defence in depth: the unwrapped private keys must match the public keys everyone encrypts to. */
function checkMatches(secrets: StudioSecrets, box: Buffer, sign: Buffer): StudioSecrets {
  if (!secrets.boxPublicKey.equals(box) || !secrets.signPublicKey.equals(sign)) {
    throw new FormatError("KEYSET_MISMATCH", "keyset public keys do not match its secrets");
  }
  return secrets;
}

/** The passphrase wrap's KDF input, and how to finish unlocking once the KEK is known. */
function passphraseUnlock(keyset: Keyset): { salt: Buffer; params: ScryptParams; finish: (kek: Buffer) => StudioSecrets } {
  const { box, sign } = keysetPublicKeys(keyset);
  const kdf = keyset.passphrase?.kdf;
  if (kdf?.alg !== "scrypt") throw new FormatError("BAD_KEYSET", "unknown kdf");
  return {
    salt: b64ToBytes(kdf.salt, null, "kdf salt"),
    params: { N: kdf.N, r: kdf.r, p: kdf.p },
    finish: (kek) => checkMatches(deserializeSecrets(unwrap(kek, keysetAad(box, sign), keyset.passphrase, "BAD_PASSPHRASE")), box, sign),
  };
}

/**
 * Synchronous unlocking, for enrolment (which certifies the device at once) and tests. Restore and
 * verify read through unlockWithPassphraseAsync(), the path the browser shares.
 */
export function unlockWithPassphrase(keyset: Keyset, passphrase: string): StudioSecrets {
  const u = passphraseUnlock(keyset);
  return u.finish(passphraseKek(passphrase, u.salt, u.params));
}

/**
 * The studio secrets, unlocked by the read path the browser shares (reader-keys.ts) on node:crypto:
 * the KDF runs on libuv's thread pool, so downloads can overlap it.
 */
export async function unlockWithPassphraseAsync(keyset: Keyset, passphrase: string): Promise<StudioSecrets> {
  return fromRaw(await unlockKeyset(nodePrimitives, keyset, { passphrase }));
}

/** unlockWithRecoveryKey() by the shared read path (reader-keys.ts). */
export async function unlockWithRecoveryKeyAsync(keyset: Keyset, recoveryKey: string): Promise<StudioSecrets> {
  return fromRaw(await unlockKeyset(nodePrimitives, keyset, { recoveryKey }));
}

function fromRaw(raw: RawStudioSecrets): StudioSecrets {
  const b = (u: Uint8Array) => Buffer.from(u);
  return checkMatches(
    secretsFromParts(b(raw.boxPrivateKey), b(raw.signPrivateKey), b(raw.chunkIdKey), b(raw.chunkerKey)),
    b(raw.boxPublicKey),
    b(raw.signPublicKey),
  );
}

export function unlockWithRecoveryKey(keyset: Keyset, recoveryKey: string): StudioSecrets {
  const { box, sign } = keysetPublicKeys(keyset);
  const kek = recoveryKek(parseRecoveryKey(recoveryKey));
  const plain = unwrap(kek, keysetAad(box, sign), keyset.recovery, "BAD_RECOVERY_KEY");
  return checkMatches(deserializeSecrets(plain), box, sign);
}

/** For test vectors and re-wrapping tools: rebuild secrets from their raw parts. */
export function studioSecretsFromRaw(raw: {
  boxPrivateKey: Buffer;
  signPrivateKey: Buffer;
  chunkIdKey: Buffer;
  chunkerKey: Buffer;
}): StudioSecrets {
  return secretsFromParts(raw.boxPrivateKey, raw.signPrivateKey, raw.chunkIdKey, raw.chunkerKey);
}
