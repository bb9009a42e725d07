import {
  createCipheriv,
  createDecipheriv,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  scrypt,
  scryptSync,
  type KeyObject,
  type ScryptOptions,
} from "node:crypto";
import { FORMAT_VERSION, NONCE_SIZE, TAG_SIZE } from "./constants.ts";
import { FormatError } from "./errors.ts";
import { b64ToBytes, privateKeyFromRaw, privateKeyToRaw, publicKeyToRaw } from "./rawkeys.ts";
import { formatRecoveryKey, parseRecoveryKey } from "./recovery.ts";

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

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** ~0.3 s and 128 MiB per attempt on a current x86 core (see FORMAT.md for the measurement). */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

export interface WrappedSecrets {
  nonce: string;
  ciphertext: string;
}

export interface Keyset {
  version: 1;
  boxPublicKey: string;
  signPublicKey: string;
  /** The studio's chunking scheme (chunker.ts): 3 for keysets made since it exists; absent means 1. */
  chunking?: 2 | 3;
  passphrase: WrappedSecrets & { kdf: { alg: "scrypt"; N: number; r: number; p: number; salt: string } };
  recovery: WrappedSecrets;
}

/** Secrets serialization (inside the AES-GCM wrap): version u8 | box priv | sign priv | id key | chunker key. */
const SECRETS_SIZE = 1 + 4 * 32;

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

/** AAD ties both wraps to the public keys shown in the keyset: swapping them breaks unlock. */
function keysetAad(boxPublicKey: Buffer, signPublicKey: Buffer): Buffer {
  return Buffer.concat([Buffer.from("datasafe/v1/keyset", "utf8"), Buffer.of(FORMAT_VERSION), boxPublicKey, signPublicKey]);
}

/**
 * scrypt's memory is 128·N·r bytes. The keyset comes from the server, so these bounds are what
 * stops a hostile server from making unlock allocate gigabytes: N ≤ 2^20 and r ≤ 32 alone still
 * allowed 4 GiB. 256 MiB is twice the default's and fits any PC that can run a restore.
 */
export const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

function checkScrypt({ N, r, p }: ScryptParams): void {
  const ok =
    Number.isInteger(Math.log2(N)) &&
    N >= 2 &&
    N <= 2 ** 20 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= 32 &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= 16;
  if (!ok) throw new FormatError("BAD_KEYSET", "scrypt parameters out of range");
  if (128 * N * r > MAX_SCRYPT_MEMORY) {
    throw new FormatError(
      "BAD_KEYSET",
      `the keyset's scrypt parameters (N=${N}, r=${r}) need ${(128 * N * r) / 2 ** 20} MiB, over the ${MAX_SCRYPT_MEMORY / 2 ** 20} MiB this format allows: refused before deriving`,
    );
  }
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

/** passphraseKek() on libuv's thread pool: the event loop goes on meanwhile (~0.4 s). */
export function passphraseKekAsync(passphrase: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const { password, options } = scryptInput(passphrase, params);
  return new Promise((resolve, reject) => scrypt(password, salt, 32, options, (err, key) => (err ? reject(err) : resolve(key))));
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

/**
 * The studio's chunking scheme. Every device of a studio must cut files alike or dedup between
 * them is lost, so it is the studio's, fixed when its keys are made; not secret (the key is).
 */
export function keysetChunking(keyset: Keyset): 1 | 2 | 3 {
  const c = (keyset as { chunking?: unknown }).chunking;
  if (c === undefined) return 1;
  if (c === 2 || c === 3) return c;
  throw new FormatError("UNSUPPORTED_VERSION", `chunking scheme ${String(c)} (a newer uploader made these keys)`);
}

function keysetPublicKeys(keyset: Keyset): { box: Buffer; sign: Buffer } {
  if (typeof keyset !== "object" || keyset === null || keyset.version !== 1) {
    throw new FormatError("UNSUPPORTED_VERSION", "keyset version");
  }
  return { box: b64ToBytes(keyset.boxPublicKey, 32, "boxPublicKey"), sign: b64ToBytes(keyset.signPublicKey, 32, "signPublicKey") };
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

export function unlockWithPassphrase(keyset: Keyset, passphrase: string): StudioSecrets {
  const u = passphraseUnlock(keyset);
  return u.finish(passphraseKek(passphrase, u.salt, u.params));
}

/** unlockWithPassphrase() with the KDF on libuv's thread pool, so downloads can overlap it. */
export async function unlockWithPassphraseAsync(keyset: Keyset, passphrase: string): Promise<StudioSecrets> {
  const u = passphraseUnlock(keyset);
  return u.finish(await passphraseKekAsync(passphrase, u.salt, u.params));
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
