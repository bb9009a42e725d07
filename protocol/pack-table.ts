// The canonical byte encoding of a pack's chunk table, which the uploader hashes when it asks for
// a grant (POST /v1/packs/upload-url, `tableSha256`) and the API hashes again when the upload is
// reported (POST /v1/packs/uploaded) or relayed (PUT /v1/packs): a report is accepted only with
// the table that was granted, so a device cannot re-describe an object after the fact.
//
// Encoding: for each chunk, in table order, id (32 bytes) || size (u32, big-endian) || sha256
// (32 bytes); 68 bytes a chunk, nothing else (no count, no separators: the length fixes the count).
// Part of the wire contract (protocol/): server and uploader both import it.
import { createHash } from "node:crypto";

/** One chunk of a pack's table, as both sides hold it (hex id and SHA-256, size in bytes). */
export interface PackTableEntry {
  id: string;
  size: number;
  sha256: string;
}

export const PACK_TABLE_ENTRY_BYTES = 68;

export function encodePackTable(table: readonly PackTableEntry[]): Buffer {
  const out = Buffer.alloc(table.length * PACK_TABLE_ENTRY_BYTES);
  table.forEach((c, i) => {
    const at = i * PACK_TABLE_ENTRY_BYTES;
    out.write(c.id, at, 32, "hex");
    out.writeUInt32BE(c.size, at + 32);
    out.write(c.sha256, at + 36, 32, "hex");
  });
  return out;
}

/** SHA-256 of the table's canonical encoding. */
export function packTableSha256(table: readonly PackTableEntry[]): Buffer {
  return createHash("sha256").update(encodePackTable(table)).digest();
}
