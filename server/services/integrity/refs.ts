// A restore point's references are one packed bytea: 32-byte chunk ids, sorted, no duplicates
// (prisma/schema.prisma). These helpers search it in place, without splitting it into buffers.
//
// Why not in SQL: Postgres' position() on bytea finds byte matches at any offset, and a match may
// straddle two ids (the last bytes of one and the first of the next), so it needs an alignment
// check and a retry loop; and it scans linearly anyway. A binary search here costs
// log2(refCount) comparisons per id (18 for 220 k chunks) once the row is in memory.

export const ID_BYTES = 32;

export function refCount(refs: Uint8Array): number {
  return Math.floor(refs.length / ID_BYTES);
}

export function refAt(refs: Buffer, i: number): Buffer {
  return refs.subarray(i * ID_BYTES, (i + 1) * ID_BYTES);
}

/** True when the sorted packed `refs` holds `id`. */
export function containsRef(refs: Buffer, id: Buffer): boolean {
  let lo = 0;
  let hi = refCount(refs) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    // Compares id with the slice of refs: > 0 means id sorts after the slice.
    const c = id.compare(refs, mid * ID_BYTES, (mid + 1) * ID_BYTES);
    if (c === 0) return true;
    if (c > 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The ids (of those given) that `refs` holds. */
export function refsAmong(refs: Buffer, ids: readonly Buffer[]): Buffer[] {
  return ids.filter((id) => containsRef(refs, id));
}

/** Packs at most `max` ids, sorted: the bounded damaged-id list kept on a restore point. */
export function packIds(ids: readonly Buffer[], max: number): Buffer {
  return Buffer.concat([...ids].sort(Buffer.compare).slice(0, max));
}

export function unpackIds(packed: Uint8Array | null): string[] {
  if (!packed) return [];
  const b = Buffer.from(packed);
  return Array.from({ length: refCount(b) }, (_, i) => refAt(b, i).toString("hex"));
}
