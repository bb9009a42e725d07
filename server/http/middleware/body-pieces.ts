// A request body as an async iterator of its pieces (socket reads), for routes that pass a body
// on as it arrives (a relayed pack streamed into the local store) instead of buffering it whole.
//
// Unlike a Readable's own async iterator, ending the iteration early (the consumer threw: a chunk
// that does not match its hash, a store error) does not destroy the request, whose socket would
// take the error answer down with it: the rest of the body is read and dropped, so the client
// still gets its 4xx. Backpressure: the socket is paused while MAX_QUEUED_BYTES wait unread.
import type { IncomingMessage } from "node:http";
import { errors } from "../../errors.ts";

/** Bytes read ahead of the consumer before the socket is paused. */
const MAX_QUEUED_BYTES = 256 * 1024;

export interface BodyPieces extends AsyncIterableIterator<Buffer> {
  /** Stops reading for the consumer; the rest of the body is drained. Idempotent. */
  return(): Promise<IteratorResult<Buffer>>;
}

/**
 * The body's pieces in order; ends when the body is complete, throws a validation error when the
 * connection closes before (a body shorter than its Content-Length).
 */
export function bodyPieces(req: IncomingMessage): BodyPieces {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onData = (b: Buffer) => {
    queue.push(b);
    queued += b.length;
    if (queued >= MAX_QUEUED_BYTES) req.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onClose = () => {
    if (!req.complete) failure ??= errors.validation("request body incomplete");
    ended = true;
    notify();
  };
  const onError = (e: unknown) => {
    failure ??= e;
    notify();
  };
  const detach = () => {
    req.off("data", onData).off("end", onEnd).off("close", onClose).off("error", onError);
    queue.length = 0;
    queued = 0;
  };
  req.on("data", onData).on("end", onEnd).on("close", onClose).on("error", onError);

  const it: BodyPieces = {
    async next() {
      for (;;) {
        const b = queue.shift();
        if (b) {
          queued -= b.length;
          if (queued < MAX_QUEUED_BYTES && req.isPaused()) req.resume();
          return { value: b, done: false };
        }
        if (failure !== null) {
          detach();
          throw failure;
        }
        if (ended) {
          detach();
          return { value: undefined, done: true };
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async return() {
      detach();
      if (!req.complete) req.resume(); // drop the rest; the socket stays up for the answer
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}

/**
 * The first `n` bytes of `pieces` (the head of a body: a relayed pack's table), and an iterator of
 * the bytes after them. Returning the rest early returns `pieces`.
 */
export async function splitHead(pieces: BodyPieces, n: number): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const next = await pieces.next();
    if (next.done) throw errors.validation("request body incomplete");
    parts.push(next.value);
    got += next.value.length;
  }
  const first = Buffer.concat(parts, got);
  const tail = first.subarray(n);
  async function* rest(): AsyncGenerator<Buffer> {
    if (tail.length > 0) yield tail;
    yield* pieces;
  }
  return { head: first.subarray(0, n), rest: rest() };
}
