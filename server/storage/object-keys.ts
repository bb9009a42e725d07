// The object key layout of the blob store (S3 bucket or local directory), and the functions that
// make the keys. The server chooses every key, clients never do:
//
//   studios/<studioId>/chunks/<xx>/<chunkIdHex>.<rrrrrrrr>     one chunk
//   studios/<studioId>/packs/<xx>/<packIdHex>                  several chunks (services/packs.ts)
//
//   <studioId>    the owning tenant. One prefix per studio, so a studio's chunks can be listed
//                 (garbage collection, repair, export) and deleted without scanning others'.
//   <xx>          the first 2 hex digits of the chunk id: 256 shards per studio, so listings
//                 can run in parallel per shard and a local directory never holds millions of
//                 entries. Chunk ids are hashes (uniform), so shards are balanced.
//   <chunkIdHex>  the chunk's id as the uploader sent it (a hash, opaque to the server), so an
//                 operator can map an object back to its chunk without the database.
//   <rrrrrrrr>    8 random hex digits chosen per upload. Storage is write-once: put() refuses
//                 existing keys. When a chunk is uploaded again (repair after a bad or lost
//                 object, a retried upload whose first attempt may have landed), it gets a new
//                 key, so a suspect object is never overwritten in place and the database row
//                 switches to the new key only once the new object is verified. The old one is
//                 deleted afterwards by garbage collection.
//   <packIdHex>   32 random hex digits chosen per pack upload (its first 2 are <xx>); a pack's
//                 chunks are listed in the database only (each row: key, offset, size).
//
// The database (not a listing) is the source of truth for which key holds a chunk.

import { randomBytes } from "node:crypto";
import { InvalidKeyError } from "./errors.ts";

// Studio ids are ours (uuid or cuid): letters, digits, "-" and "_" only, never "." or "/".
const STUDIO_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CHUNK_ID = /^[0-9a-f]{16,128}$/;

/** The key of a chunk's objects up to the per-upload suffix: "studios/<studio>/chunks/<xx>/<id>.". */
function chunkKeyStem(studioId: string, chunkIdHex: string): string {
  if (!STUDIO_ID.test(studioId)) throw new InvalidKeyError(studioId, "studio id must match [A-Za-z0-9_-]{1,64}");
  if (!CHUNK_ID.test(chunkIdHex)) throw new InvalidKeyError(chunkIdHex, "chunk id must be 16-128 lowercase hex digits");
  return `studios/${studioId}/chunks/${chunkIdHex.slice(0, 2)}/${chunkIdHex}.`;
}

/** A fresh key for one upload of a chunk (see the layout above); never the same twice. */
export function objectKeyForChunk(studioId: string, chunkIdHex: string): string {
  return chunkKeyStem(studioId, chunkIdHex) + randomBytes(4).toString("hex");
}

/** A fresh key for one pack upload (see the layout above); never the same twice. */
export function objectKeyForPack(studioId: string): string {
  if (!STUDIO_ID.test(studioId)) throw new InvalidKeyError(studioId, "studio id must match [A-Za-z0-9_-]{1,64}");
  const id = randomBytes(16).toString("hex");
  return `studios/${studioId}/packs/${id.slice(0, 2)}/${id}`;
}
