import { diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from "node:crypto";
import { EPHEMERAL_KEY_SIZE } from "./constants.ts";
import { FormatError } from "./errors.ts";
import { nodePrimitives } from "./node-primitives.ts";
import { privateKeyFromRaw, privateKeyToRaw, publicKeyFromRaw, publicKeyToRaw } from "./rawkeys.ts";
import { SessionKeys } from "./reader-chunks.ts";

/**
 * Per-upload-session data key. The uploader knows only the studio's PUBLIC box key; each
 * session makes an ephemeral X25519 key pair, derives the AES key from the agreement and
 * forgets the ephemeral private key. Hence a stolen PC can encrypt new chunks but cannot
 * decrypt any stored chunk: only the studio private key (behind the passphrase) can
 * re-derive the key from the ephemeral public key written in each envelope.
 */
export interface SessionKey {
  ephemeralPublicKey: Buffer;
  key: Buffer;
}

const CHUNK_KEY_INFO = "datasafe/v1/chunk-key";

function deriveKey(shared: Buffer, ephemeralPublicRaw: Buffer, studioPublicRaw: Buffer): Buffer {
  const salt = Buffer.concat([ephemeralPublicRaw, studioPublicRaw]);
  return Buffer.from(hkdfSync("sha256", shared, salt, CHUNK_KEY_INFO, 32));
}

function agree(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  try {
    return diffieHellman({ privateKey, publicKey });
  } catch (err) {
    // OpenSSL refuses low-order points (all-zero shared secret).
    throw new FormatError("BAD_KEY", "X25519 agreement failed", { cause: err });
  }
}

/**
 * @param ephemeralPrivateKeyRaw tests/test vectors only — production must let it be random.
 */
export function newSessionKey(studioBoxPublicKeyRaw: Buffer, ephemeralPrivateKeyRaw?: Buffer): SessionKey {
  const studioPub = publicKeyFromRaw("x25519", studioBoxPublicKeyRaw);
  const ephPriv = ephemeralPrivateKeyRaw ? privateKeyFromRaw("x25519", ephemeralPrivateKeyRaw) : generateKeyPairSync("x25519").privateKey;
  const ephemeralPublicKey = publicKeyToRaw(ephPriv);
  const shared = agree(ephPriv, studioPub);
  return { ephemeralPublicKey, key: deriveKey(shared, ephemeralPublicKey, Buffer.from(studioBoxPublicKeyRaw)) };
}

/** What a DecryptKeyring needs from the unlocked studio secrets. */
export interface BoxSecrets {
  boxPrivateKey: KeyObject;
  boxPublicKey: Buffer;
}

/**
 * Re-derives session keys from ephemeral public keys found in envelopes. A restore touches
 * thousands of chunks from a handful of sessions, so derived keys are cached (bounded LRU:
 * a hostile server could send one distinct ephemeral key per chunk).
 */
export class DecryptKeyring {
  private readonly cache = new Map<string, Buffer>();
  /** The same cache for the shared read path (reader-chunks.ts), which openChunk() uses. */
  readonly keys: SessionKeys;

  constructor(
    private readonly secrets: BoxSecrets,
    private readonly maxCached = 256,
  ) {
    this.keys = new SessionKeys(nodePrimitives, privateKeyToRaw(secrets.boxPrivateKey), secrets.boxPublicKey, maxCached);
  }

  /** Synchronous, for decryptChunk() (tests and tools). */
  sessionKey(ephemeralPublicKey: Buffer): Buffer {
    if (ephemeralPublicKey.length !== EPHEMERAL_KEY_SIZE) throw new FormatError("BAD_KEY", "ephemeral key size");
    const k = ephemeralPublicKey.toString("hex");
    const hit = this.cache.get(k);
    if (hit) {
      this.cache.delete(k);
      this.cache.set(k, hit);
      return hit;
    }
    const shared = agree(this.secrets.boxPrivateKey, publicKeyFromRaw("x25519", ephemeralPublicKey));
    const key = deriveKey(shared, ephemeralPublicKey, this.secrets.boxPublicKey);
    this.cache.set(k, key);
    if (this.cache.size > this.maxCached) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return key;
  }
}
