import { CHUNK_ID_SIZE } from "./constants.ts";
import { FormatError } from "./errors.ts";

const HEX_ID = /^[0-9a-f]{64}$/;

export function isHexId(value: unknown): value is string {
  return typeof value === "string" && HEX_ID.test(value);
}

export function idToHex(id: Uint8Array): string {
  if (id.length !== CHUNK_ID_SIZE) throw new FormatError("BAD_ID", `id must be ${CHUNK_ID_SIZE} bytes`);
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString("hex");
}

/** Only lowercase is accepted so every id has exactly one spelling (used as keys and in URLs). */
export function hexToId(hex: string): Buffer {
  if (!isHexId(hex)) throw new FormatError("BAD_ID", "id must be 64 lowercase hex characters");
  return Buffer.from(hex, "hex");
}
