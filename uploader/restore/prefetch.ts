// Fetches a sequence of chunks ahead of the consumer, handing them back strictly in order: restore
// writes sequentially while the network stays busy. At least `parallel` chunks are asked for
// ahead; with `sizes` (each chunk's expected plaintext size), more, as long as the window's
// expected bytes stay within `maxBytes`: 16 chunks of a photo library's 20 KiB thumbnails are one
// small slice of a 4 MiB ranged GET (chunk-reader.ts), and a window that short left the next GET
// to start only after the previous one was consumed (a 20,000-file restore waited ~4 s on it).
// Memory: at most max(`parallel` chunks, `maxBytes`), chunks being at most 4 MiB. The order may be
// a window that grows as the restore reads its manifest (chunk-order.ts): only what it holds is
// fetched ahead.
import { orderOf, type ChunkOrder } from "./chunk-order.ts";

export interface OrderedPrefetch {
  next(): Promise<Buffer>;
}

export interface PrefetchWindow {
  /** Chunks always allowed ahead. */
  parallel: number;
  /** Expected plaintext size of each chunk of `ids` (same order). */
  sizes?: readonly number[];
  /** Expected bytes ahead beyond which only `parallel` chunks are. */
  maxBytes?: number;
}

/** A bound on the window in chunks, whatever their sizes (zero-byte chunks do not exist, tiny ones do). */
const MAX_AHEAD = 4096;

export function orderedPrefetch(
  ids: readonly string[] | ChunkOrder,
  fetch: (id: string) => Promise<Buffer>,
  w: PrefetchWindow,
): OrderedPrefetch {
  const order = Array.isArray(ids) ? orderOf(ids as readonly string[], w.sizes) : (ids as ChunkOrder);
  const sized = w.sizes !== undefined || !Array.isArray(ids);
  const window: Array<{ p: Promise<Buffer>; size: number }> = [];
  let windowBytes = 0;
  let nextIndex = order.start;
  const roomFor = (size: number) =>
    window.length < w.parallel || (sized && window.length < MAX_AHEAD && windowBytes + size <= (w.maxBytes ?? 0));
  const fill = () => {
    while (nextIndex < order.end) {
      const size = order.size(nextIndex);
      if (!roomFor(size)) break;
      const p = fetch(order.id(nextIndex++)!);
      p.catch(() => undefined); // observed when consumed; avoid an unhandled rejection meanwhile
      window.push({ p, size });
      windowBytes += size;
    }
  };
  return {
    async next() {
      fill();
      // The one handed out counts as in flight until the caller awaited it: refill on the next call.
      const head = window.shift();
      if (!head) throw new Error("prefetch exhausted");
      windowBytes -= head.size;
      return head.p;
    },
  };
}
