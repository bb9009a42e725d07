// Opening a chunk envelope (FORMAT.md §3-4): the one implementation the CLI's restore and verify
// (through aead.ts openChunk, on node-primitives.ts) and the browser's restore page (on
// web-primitives.ts) both run. Pure: the primitives come in as an argument.
import { bytesEqual } from "./bytes.ts";
import {
  CHUNK_ID_SIZE,
  CODEC_BROTLI,
  CODEC_NONE,
  CODEC_ZSTD,
  ENVELOPE_MAGIC,
  ENVELOPE_OVERHEAD,
  EPHEMERAL_KEY_SIZE,
  FORMAT_VERSION,
  MAX_CHUNK_SIZE,
  NONCE_SIZE,
} from "./constants.ts";
import { FormatError } from "./errors.ts";
import { frameContentSize } from "./frame.ts";
import type { FormatPrimitives } from "./primitives.ts";

const MAGIC = new TextEncoder().encode(ENVELOPE_MAGIC);
const HEADER_SIZE = MAGIC.length + 1 + EPHEMERAL_KEY_SIZE + NONCE_SIZE;
const CHUNK_KEY_INFO = "datasafe/v1/chunk-key";

/**
 * AAD binds the envelope to its studio and chunk id: the server cannot serve chunk A's blob
 * under id B, nor move blobs between studios, without decryption failing. The ephemeral key
 * is bound through the key derivation (it is part of the HKDF salt).
 */
export function chunkAad(studioId: string, id: Uint8Array): Buffer {
  if (id.length !== CHUNK_ID_SIZE) throw new FormatError("BAD_ID", `chunk id must be ${CHUNK_ID_SIZE} bytes`);
  const studio = Buffer.from(studioId, "utf8");
  if (studio.length === 0 || studio.length > 0xffff) throw new FormatError("BAD_ARGUMENT", "studioId length");
  const len = Buffer.alloc(2);
  len.writeUInt16BE(studio.length);
  return Buffer.concat([Buffer.from("datasafe/v1/chunk", "utf8"), Buffer.of(FORMAT_VERSION), len, studio, id]);
}

/** HKDF-SHA256(shared, salt = ephemeral public | studio box public, "datasafe/v1/chunk-key"). */
export function deriveSessionKey(
  p: FormatPrimitives,
  shared: Uint8Array,
  ephemeralPublic: Uint8Array,
  studioPublic: Uint8Array,
): Promise<Uint8Array> {
  const salt = new Uint8Array(ephemeralPublic.length + studioPublic.length);
  salt.set(ephemeralPublic);
  salt.set(studioPublic, ephemeralPublic.length);
  return p.hkdfSha256(shared, salt, CHUNK_KEY_INFO, 32);
}

/** X25519 agreement; a low-order public key (all-zero secret) is refused, whatever the primitives say. */
export async function agree(p: FormatPrimitives, privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array> {
  let shared: Uint8Array;
  try {
    shared = await p.x25519(privateKey, publicKey);
  } catch (err) {
    throw new FormatError("BAD_KEY", "X25519 agreement failed", { cause: err });
  }
  if (shared.every((b) => b === 0)) throw new FormatError("BAD_KEY", "X25519 agreement failed (low-order key)");
  return shared;
}

/**
 * Re-derives session keys from the ephemeral public keys found in envelopes. A restore touches
 * thousands of chunks from a handful of sessions, so derived keys are cached (bounded LRU: a
 * hostile server could send one distinct ephemeral key per chunk).
 */
export class SessionKeys {
  private readonly cache = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly p: FormatPrimitives,
    private readonly boxPrivateKey: Uint8Array,
    private readonly boxPublicKey: Uint8Array,
    private readonly maxCached = 256,
  ) {}

  key(ephemeralPublicKey: Uint8Array): Promise<Uint8Array> {
    if (ephemeralPublicKey.length !== EPHEMERAL_KEY_SIZE) throw new FormatError("BAD_KEY", "ephemeral key size");
    const k = Buffer.from(ephemeralPublicKey).toString("hex");
    const hit = this.cache.get(k);
    if (hit) {
      this.cache.delete(k);
      this.cache.set(k, hit);
      return hit;
    }
    const eph = Uint8Array.from(ephemeralPublicKey);
    const derived = agree(this.p, this.boxPrivateKey, eph).then((shared) => deriveSessionKey(this.p, shared, eph, this.boxPublicKey));
    derived.catch(() => this.cache.delete(k)); // a failure is not remembered
    this.cache.set(k, derived);
    if (this.cache.size > this.maxCached) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return derived;
  }
}

/**
 * Decompresses a payload; output above maxSize is refused before decoding (zstd: from the frame
 * header) or while decoding (brotli): a tiny hostile payload could otherwise expand to gigabytes.
 */
export async function decompressWith(
  p: FormatPrimitives,
  codec: number,
  data: Uint8Array,
  maxSize: number = MAX_CHUNK_SIZE,
): Promise<Uint8Array> {
  switch (codec) {
    case CODEC_NONE:
      if (data.length > maxSize) throw new FormatError("TOO_LARGE", `payload ${data.length} > ${maxSize}`);
      return data;
    case CODEC_BROTLI: {
      if (!p.brotliDecompress) throw new FormatError("UNSUPPORTED_CODEC", "brotli (codec 1): no decoder here");
      let out: Uint8Array;
      try {
        out = await p.brotliDecompress(data, maxSize);
      } catch (err) {
        if (err instanceof FormatError) throw err;
        throw new FormatError("CORRUPT", "brotli stream invalid", { cause: err });
      }
      if (out.length > maxSize) throw new FormatError("TOO_LARGE", `output > ${maxSize}`);
      return out;
    }
    case CODEC_ZSTD: {
      let size: number | null;
      try {
        size = frameContentSize(data);
      } catch (err) {
        throw new FormatError("CORRUPT", "zstd frame header invalid", { cause: err });
      }
      if (size === null) throw new FormatError("CORRUPT", "zstd frame without content size");
      if (size > maxSize) throw new FormatError("TOO_LARGE", `output ${size} > ${maxSize}`);
      try {
        return await p.zstdDecompress(data, size);
      } catch (err) {
        if (err instanceof FormatError) throw err;
        throw new FormatError("CORRUPT", "zstd stream invalid", { cause: err });
      }
    }
    default:
      throw new FormatError("UNSUPPORTED_CODEC", `unknown codec ${codec}`);
  }
}

/**
 * decrypt -> decompress -> recompute the id. The id check catches what AEAD alone cannot: a
 * device that (buggy or hostile) encrypted content under a wrong id, which dedup would then
 * hand to every later backup of the real content.
 */
export async function openEnvelope(
  p: FormatPrimitives,
  keys: SessionKeys,
  idKey: Uint8Array,
  studioId: string,
  id: Uint8Array,
  envelope: Uint8Array,
  maxSize: number = MAX_CHUNK_SIZE,
): Promise<Uint8Array> {
  if (envelope.length < MAGIC.length || !bytesEqual(envelope.subarray(0, MAGIC.length), MAGIC)) {
    throw new FormatError("BAD_MAGIC", "not a DataSafe envelope");
  }
  if (envelope.length < MAGIC.length + 1) throw new FormatError("TRUNCATED", "envelope truncated");
  const version = envelope[MAGIC.length];
  if (version !== FORMAT_VERSION) throw new FormatError("UNSUPPORTED_VERSION", `envelope version ${version}`);
  if (envelope.length < ENVELOPE_OVERHEAD) throw new FormatError("TRUNCATED", "envelope truncated");
  const eph = envelope.subarray(MAGIC.length + 1, MAGIC.length + 1 + EPHEMERAL_KEY_SIZE);
  const iv = envelope.subarray(MAGIC.length + 1 + EPHEMERAL_KEY_SIZE, HEADER_SIZE);
  const aad = chunkAad(studioId, id);
  let plain: Uint8Array;
  try {
    plain = await p.aesGcmDecrypt(await keys.key(eph), iv, aad, envelope.subarray(HEADER_SIZE));
  } catch (err) {
    throw new FormatError("AUTH_FAILED", "envelope does not authenticate for this studio and id", { cause: err });
  }
  const out = await decompressWith(p, plain[0]!, plain.subarray(1), maxSize);
  if (!bytesEqual(await p.hmacSha256(idKey, out), id)) throw new FormatError("ID_MISMATCH", "content does not match its chunk id");
  return out;
}
