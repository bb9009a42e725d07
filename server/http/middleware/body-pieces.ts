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
  return new BodyReader(req);
}

/** The request's events fill a queue that `next()` empties; `#wake` is the consumer waiting for more. */
class BodyReader implements BodyPieces {
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #failure: unknown = null;
  #wake: (() => void) | null = null;

  constructor(private readonly req: IncomingMessage) {
    req.on("data", this.#onData).on("end", this.#onEnd).on("close", this.#onClose).on("error", this.#onError);
  }

  async next(): Promise<IteratorResult<Buffer>> {
    for (;;) {
      const piece = this.#dequeue();
      if (piece) return { value: piece, done: false };
      if (this.#failure !== null) {
        this.#detach();
        throw this.#failure;
      }
      if (this.#ended) {
        this.#detach();
        return { value: undefined, done: true };
      }
      await this.#nextEvent();
    }
  }

  async return(): Promise<IteratorResult<Buffer>> {
    this.#detach();
    if (!this.req.complete) this.req.resume(); // drop the rest; the socket stays up for the answer
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): BodyPieces {
    return this;
  }

  /** The oldest piece read ahead; the socket resumes once the queue is below its bound. */
  #dequeue(): Buffer | undefined {
    const piece = this.#queue.shift();
    if (piece) {
      this.#queued -= piece.length;
      if (this.#queued < MAX_QUEUED_BYTES && this.req.isPaused()) this.req.resume();
    }
    return piece;
  }

  #nextEvent(): Promise<void> {
    return new Promise<void>((resolve) => (this.#wake = resolve));
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  readonly #onData = (piece: Buffer) => {
    this.#queue.push(piece);
    this.#queued += piece.length;
    if (this.#queued >= MAX_QUEUED_BYTES) this.req.pause();
    this.#notify();
  };

  readonly #onEnd = () => {
    this.#ended = true;
    this.#notify();
  };

  readonly #onClose = () => {
    if (!this.req.complete) this.#failure ??= errors.validation("request body incomplete");
    this.#ended = true;
    this.#notify();
  };

  readonly #onError = (e: unknown) => {
    this.#failure ??= e;
    this.#notify();
  };

  #detach(): void {
    this.req.off("data", this.#onData).off("end", this.#onEnd).off("close", this.#onClose).off("error", this.#onError);
    this.#queue.length = 0;
    this.#queued = 0;
  }
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
