// Byte helpers the format's pure modules share (no node: imports: the browser bundles them too).
import { FormatError } from "./errors.ts";

/** Strict base64 decoding of a fixed-size field (Buffer.from silently skips junk). */
export function b64ToBytes(b64: unknown, size: number | null, what: string): Buffer {
  if (typeof b64 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new FormatError("BAD_ARGUMENT", `${what}: not base64`);
  }
  const bytes = Buffer.from(b64, "base64");
  if (size !== null && bytes.length !== size) throw new FormatError("BAD_ARGUMENT", `${what}: must be ${size} bytes`);
  return bytes;
}

/** Whether two byte strings are equal (not constant-time: for ids, magics and public keys). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The same bytes as a Buffer, without a copy (Node's primitives already return Buffers). */
export function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
