// The content size a zstd frame's header states: pure, so the CLI and the browser refuse a frame
// claiming more than a chunk before any decoder runs (reader-chunks.ts).
const MAGIC = 0xfd2fb528;

/**
 * The content size a zstd frame's header states (RFC 8878, section 3.1.1.1), or null when the
 * header does not state one. Throws on anything that is not a zstd frame header. Pure: needs no engine.
 */
export function frameContentSize(frame: Uint8Array): number | null {
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 5 || dv.getUint32(0, true) !== MAGIC) throw new Error("not a zstd frame");
  const descriptor = frame[4]!;
  if (descriptor & 0x08) throw new Error("zstd frame header: reserved bit set");
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const dictionaryIdSize = [0, 1, 2, 4][descriptor & 0x03]!;
  const fcsSize = fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag]!;
  const at = 5 + (singleSegment ? 0 : 1) + dictionaryIdSize;
  if (fcsSize === 0) return null;
  if (frame.length < at + fcsSize) throw new Error("zstd frame header cut short");
  switch (fcsSize) {
    case 1:
      return frame[at]!;
    case 2:
      return dv.getUint16(at, true) + 256;
    case 4:
      return dv.getUint32(at, true);
    default: {
      const size = dv.getBigUint64(at, true);
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("zstd frame content size out of range");
      return Number(size);
    }
  }
}
