import { createHmac } from "node:crypto";

/**
 * Chunk id = HMAC-SHA256(chunkIdKey, plaintext). Keyed, not a plain hash, so the server
 * (which sees ids) cannot test whether a studio stores a known file; only holders of the
 * studio's id key can compute ids.
 */
export function chunkId(idKey: Uint8Array, plaintext: Uint8Array): Buffer {
  return createHmac("sha256", idKey).update(plaintext).digest();
}
