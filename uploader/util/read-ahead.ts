// Pulls an async sequence ahead of its consumer, up to `max` items held: a backup's scan (lstat
// after lstat) runs while the entries before are being read and uploaded, and the progress total
// grows ahead of the bytes done. Order is kept; the source's error reaches the consumer where it
// happened in the sequence; a consumer that stops early stops the source.
export async function* readAhead<T>(source: AsyncIterable<T>, max: number, onItem?: (item: T) => void): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const held: T[] = [];
  let done = false;
  let failure: { err: unknown } | null = null;
  let wake: (() => void) | null = null; // the consumer, waiting for an item
  let room: (() => void) | null = null; // the producer, waiting for room
  const signal = (w: (() => void) | null) => w?.();

  const produce = (async () => {
    try {
      for (;;) {
        while (held.length >= max && !done) await new Promise<void>((r) => (room = r));
        if (done) return;
        const next = await it.next();
        if (next.done) break;
        onItem?.(next.value);
        held.push(next.value);
        signal(wake);
        wake = null;
      }
    } catch (err) {
      failure = { err };
    }
    done = true;
    signal(wake);
    wake = null;
  })();

  try {
    for (;;) {
      if (held.length) {
        const item = held.shift()!;
        signal(room);
        room = null;
        yield item;
        continue;
      }
      if (done) {
        if (failure) throw (failure as { err: unknown }).err;
        return;
      }
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    if (!done) {
      done = true;
      signal(room);
      await produce;
      await it.return?.(undefined);
    }
  }
}
