// Sealing one chunk for upload: compress (when worth it), encrypt, and digest the envelope. All
// the CPU work of an upload, run on a CryptoPool worker (or in-thread when workers cannot start).
import { createHash } from "node:crypto";
import { compress, encryptChunk, type SessionKey } from "../format/index.ts";

export interface Sealed {
  envelope: Buffer;
  /** Hex SHA-256 of the envelope: checked by the API, or by the bucket (signed payload hash). */
  sha256: string;
}

/** Compress + encrypt one chunk, and digest the result: all the CPU work of an upload. */
export async function seal(session: SessionKey, studioId: string, id: Buffer, plain: Buffer): Promise<Sealed> {
  const { codec, data } = await compress(plain);
  const envelope = encryptChunk(session, studioId, id, codec, data);
  return {
    envelope,
    sha256: createHash("sha256").update(envelope).digest("hex"),
  };
}
