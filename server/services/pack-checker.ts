// Checking a relayed pack as it streams in (packs.ts storePackStream): each chunk's SHA-256 against
// the pack's table, before the pack is stored.
import { createHash } from "node:crypto";
import type { PackTable } from "../../protocol/schemas.ts";
import { errors } from "../errors.ts";

/**
 * Hashes a pack's bytes, fed in pieces of any size, chunk by chunk as `table` cuts them, and
 * throws as soon as a chunk does not match its SHA-256 or the bytes run past the table; `end()`
 * throws when they stop short of it, else returns the whole pack's SHA-256.
 */
export function chunkChecker(table: PackTable): { update(piece: Buffer): void; end(): Buffer } {
  let i = 0;
  let left = table[0]!.size;
  let hash = createHash("sha256");
  const whole = createHash("sha256");
  return {
    update(piece) {
      whole.update(piece);
      for (let at = 0; at < piece.length;) {
        const c = table[i];
        if (!c) throw errors.validation("the pack has more bytes than its table describes");
        const n = Math.min(left, piece.length - at);
        hash.update(piece.subarray(at, at + n));
        at += n;
        left -= n;
        if (left > 0) continue;
        if (hash.digest("hex") !== c.sha256) throw errors.integrity(`chunk ${c.id} does not match its SHA-256; resend the pack`);
        i++;
        left = table[i]?.size ?? 0;
        hash = createHash("sha256");
      }
    },
    end() {
      if (i < table.length) throw errors.validation("the pack has fewer bytes than its table describes");
      return whole.digest();
    },
  };
}
