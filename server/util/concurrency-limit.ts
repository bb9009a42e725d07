// A concurrency limit by count and by weight (bytes in flight), for any batch of async work.
/**
 * Runs `fn` over `items` with at most `limit.count` calls in flight and at most `limit.bytes` of
 * their `weight` (an item heavier than the whole budget runs alone); items start in order. The
 * first rejection wins (later items do not start).
 */
export async function forEachWithin<T>(
  items: readonly T[],
  limit: { count: number; bytes: number },
  weight: (item: T) => number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let running = 0;
  let bytes = 0;
  let failed = false;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (failed) return;
      if (next >= items.length && running === 0) return resolve();
      while (next < items.length && running < limit.count) {
        const w = weight(items[next]!);
        if (running > 0 && bytes + w > limit.bytes) break;
        const item = items[next++]!;
        running++;
        bytes += w;
        fn(item).then(
          () => {
            running--;
            bytes -= w;
            pump();
          },
          (err: unknown) => {
            failed = true;
            reject(err);
          },
        );
      }
    };
    pump();
  });
}
