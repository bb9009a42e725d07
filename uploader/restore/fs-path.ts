// Paths as bytes: a restored name is the stored bytes (not always UTF-8), and Node's fs takes a
// Buffer path as exactly those bytes. path.join() takes strings only.
import path from "node:path";

const SEP = Buffer.from(path.sep);

/** `dir` joined with each name, as bytes (names are single components, checked by the caller). */
export function joinBytes(dir: string | Buffer, ...names: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.isBuffer(dir) ? dir : Buffer.from(dir)];
  for (const n of names) parts.push(SEP, Buffer.isBuffer(n) ? n : Buffer.from(n));
  return Buffer.concat(parts);
}
