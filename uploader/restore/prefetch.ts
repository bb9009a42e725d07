// Fetches a sequence of chunks with up to `parallel` downloads ahead of the consumer, handing
// them back strictly in order: restore writes sequentially while the network stays busy.
// Memory: at most `parallel` chunks (each <= 4 MiB) are held.
export interface OrderedPrefetch {
  next(): Promise<Buffer>;
}

export function orderedPrefetch(ids: string[], fetch: (id: string) => Promise<Buffer>, parallel: number): OrderedPrefetch {
  const window: Array<Promise<Buffer>> = [];
  let nextIndex = 0;
  const fill = () => {
    while (window.length < parallel && nextIndex < ids.length) {
      const p = fetch(ids[nextIndex++]!);
      p.catch(() => undefined); // observed when consumed; avoid an unhandled rejection meanwhile
      window.push(p);
    }
  };
  return {
    async next() {
      fill();
      // The one handed out counts as in flight until the caller awaited it: refill on the next call.
      const p = window.shift();
      if (!p) throw new Error("prefetch exhausted");
      return p;
    },
  };
}
