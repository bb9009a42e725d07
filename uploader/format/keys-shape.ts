// The keyset's shape and the rules a reader applies before any key derivation: its version, public
// keys, scrypt cost bounds, the wraps' AAD and the secrets' layout. Pure (no node: imports), shared
// by keys.ts (which makes keysets) and reader-keys.ts (which unlocks them, in the CLI and the browser).
import { b64ToBytes } from "./bytes.ts";
import { FORMAT_VERSION } from "./constants.ts";
import { FormatError } from "./errors.ts";

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
export const SECRETS_SIZE = 1 + 4 * 32;

/** AAD ties both wraps to the public keys shown in the keyset: swapping them breaks unlock. */
export function keysetAad(boxPublicKey: Uint8Array, signPublicKey: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from("datasafe/v1/keyset", "utf8"), Buffer.of(FORMAT_VERSION), boxPublicKey, signPublicKey]);
}

/**
 * scrypt's memory is 128·N·r bytes. The keyset comes from the server, so these bounds are what
 * stops a hostile server from making unlock allocate gigabytes: N ≤ 2^20 and r ≤ 32 alone still
 * allowed 4 GiB. 256 MiB is twice the default's and fits any PC that can run a restore.
 */
export const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

export function checkScrypt({ N, r, p }: ScryptParams): void {
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

export function keysetPublicKeys(keyset: Keyset): { box: Buffer; sign: Buffer } {
  if (typeof keyset !== "object" || keyset === null || keyset.version !== 1) {
    throw new FormatError("UNSUPPORTED_VERSION", "keyset version");
  }
  return { box: b64ToBytes(keyset.boxPublicKey, 32, "boxPublicKey"), sign: b64ToBytes(keyset.signPublicKey, 32, "signPublicKey") };
}
