// Which consecutive chunks are sealed with one worker message: up to SEAL_GROUP_CHUNKS chunks or
// SEAL_GROUP_BYTES of plaintext. A chunk of 1 MiB or more goes alone (one message per chunk, as
// before groups); 64 thumbnails of 16 KiB go together (one message instead of 64). Order is kept:
// packs are filled in the order the groups are given.
export const SEAL_GROUP_CHUNKS = 64;
export const SEAL_GROUP_BYTES = 1024 * 1024;

export function* sealGroups<T extends { plain: Buffer }>(chunks: Iterable<T>): Generator<T[]> {
  let group: T[] = [];
  let bytes = 0;
  for (const c of chunks) {
    if (group.length && (group.length >= SEAL_GROUP_CHUNKS || bytes + c.plain.length > SEAL_GROUP_BYTES)) {
      yield group;
      group = [];
      bytes = 0;
    }
    group.push(c);
    bytes += c.plain.length;
  }
  if (group.length) yield group;
}
