import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { asBuffer } from "./bytes.ts";
import { compress } from "./compress.ts";
import {
  ENVELOPE_MAGIC,
  ENVELOPE_OVERHEAD,
  EPHEMERAL_KEY_SIZE,
  FORMAT_VERSION,
  MAX_CHUNK_SIZE,
  NONCE_SIZE,
  TAG_SIZE,
} from "./constants.ts";
import { FormatError } from "./errors.ts";
import { chunkId } from "./chunk-id.ts";
import { nodePrimitives } from "./node-primitives.ts";
import { chunkAad, openEnvelope } from "./reader-chunks.ts";
import type { DecryptKeyring, SessionKey } from "./session.ts";

/**
 * Envelope: "DSC" | version u8 | ephemeral X25519 public key (32) | nonce (12) |
 * AES-256-GCM( codec u8 | payload ) | tag (16). AES-GCM because WebCrypto has it, so a browser
 * can restore. The codec byte is inside the ciphertext so the server cannot even tell which
 * chunks compressed. Nonces are random: 96 bits are safe for far more chunks than one session
 * encrypts (keep a session below 2^32 envelopes; the pipeline rotates sessions long before).
 */
const MAGIC = Buffer.from(ENVELOPE_MAGIC, "latin1");
const HEADER_SIZE = MAGIC.length + 1 + EPHEMERAL_KEY_SIZE + NONCE_SIZE;

export { chunkAad };

export function encryptChunk(
  session: SessionKey,
  studioId: string,
  id: Buffer,
  codec: number,
  payload: Buffer,
  nonce?: Buffer /* tests only */,
): Buffer {
  if (!Number.isInteger(codec) || codec < 0 || codec > 255) throw new FormatError("BAD_ARGUMENT", "codec byte");
  const iv = nonce ?? randomBytes(NONCE_SIZE);
  if (iv.length !== NONCE_SIZE) throw new FormatError("BAD_ARGUMENT", "nonce size");
  const cipher = createCipheriv("aes-256-gcm", session.key, iv, { authTagLength: TAG_SIZE });
  cipher.setAAD(chunkAad(studioId, id));
  // The envelope is allocated once and the ciphertext copied into it once (concatenating the
  // pieces would copy each chunk twice more).
  const envelope = Buffer.allocUnsafe(ENVELOPE_OVERHEAD + payload.length);
  let o = MAGIC.copy(envelope, 0);
  o = envelope.writeUInt8(FORMAT_VERSION, o);
  o += session.ephemeralPublicKey.copy(envelope, o);
  o += iv.copy(envelope, o);
  for (const piece of [cipher.update(Buffer.of(codec)), cipher.update(payload), cipher.final()]) o += piece.copy(envelope, o);
  o += cipher.getAuthTag().copy(envelope, o);
  if (o !== envelope.length) throw new FormatError("BAD_ARGUMENT", `envelope is ${o} bytes, expected ${envelope.length}`);
  return envelope;
}

export interface OpenedEnvelope {
  codec: number;
  payload: Buffer;
}

export function decryptChunk(keyring: DecryptKeyring, studioId: string, id: Buffer, envelope: Buffer): OpenedEnvelope {
  if (envelope.length < MAGIC.length || !envelope.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new FormatError("BAD_MAGIC", "not a DataSafe envelope");
  }
  if (envelope.length < MAGIC.length + 1) throw new FormatError("TRUNCATED", "envelope truncated");
  const version = envelope[MAGIC.length];
  if (version !== FORMAT_VERSION) throw new FormatError("UNSUPPORTED_VERSION", `envelope version ${version}`);
  if (envelope.length < ENVELOPE_OVERHEAD) throw new FormatError("TRUNCATED", "envelope truncated");
  let o = MAGIC.length + 1;
  const eph = envelope.subarray(o, (o += EPHEMERAL_KEY_SIZE));
  const iv = envelope.subarray(o, (o += NONCE_SIZE));
  const ct = envelope.subarray(HEADER_SIZE, envelope.length - TAG_SIZE);
  const tag = envelope.subarray(envelope.length - TAG_SIZE);
  const aad = chunkAad(studioId, id);
  let plain: Buffer;
  try {
    const key = keyring.sessionKey(Buffer.from(eph));
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_SIZE });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    // AES-GCM hands back every byte from update(); final() only checks the tag (no second copy).
    const head = decipher.update(ct);
    const tail = decipher.final();
    plain = tail.length ? Buffer.concat([head, tail]) : head;
  } catch (err) {
    throw new FormatError("AUTH_FAILED", "envelope does not authenticate for this studio and id", { cause: err });
  }
  return { codec: plain[0]!, payload: plain.subarray(1) };
}

export interface SealedChunk {
  id: Buffer;
  envelope: Buffer;
  codec: number;
  plainSize: number;
}

/** id -> compress -> encrypt, the uploader's per-chunk step. */
export async function sealChunk(session: SessionKey, idKey: Uint8Array, studioId: string, plaintext: Buffer): Promise<SealedChunk> {
  const id = chunkId(idKey, plaintext);
  const { codec, data } = await compress(plaintext);
  return { id, envelope: encryptChunk(session, studioId, id, codec, data), codec, plainSize: plaintext.length };
}

/**
 * decrypt -> decompress -> recompute the id (reader-chunks.ts: the code the browser runs too, here
 * on node:crypto and the CLI's zstd engine).
 */
export async function openChunk(
  keyring: DecryptKeyring,
  idKey: Uint8Array,
  studioId: string,
  id: Buffer,
  envelope: Buffer,
  maxSize: number = MAX_CHUNK_SIZE,
): Promise<Buffer> {
  return asBuffer(await openEnvelope(nodePrimitives, keyring.keys, idKey, studioId, id, envelope, maxSize));
}
