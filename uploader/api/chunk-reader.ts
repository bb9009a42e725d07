// Downloads and opens chunks, straight from the bucket where the server hands out presigned GET
// URLs (server/storage/direct.ts), else through the API; neighbouring chunks of one pack with one
// ranged GET, handed to the opener together (restore opens them on a worker thread, which takes
// the downloaded buffer without a copy). URLs are asked for in batches: for the chunk wanted and
// the next ones of the planned order (restore knows every chunk it will read), so a restore costs
// one small API request per MAX_IDS_PER_URL_REQUEST chunks. Any failure of a direct read
// (expired URL, unreachable bucket, bytes that do not open) falls back to the API for that chunk.
import { MAX_IDS_PER_URL_REQUEST } from "../../protocol/limits.ts";
import { hasCode } from "../errors.ts";
import type { DownloadUrls } from "../../protocol/schemas.ts";
import { orderOf, type ChunkOrder } from "../restore/chunk-order.ts";

/**
 * Where ChunkReader gets chunk bytes (ApiClient is the real one; tests stand in with these three
 * methods). Contract:
 * - downloadUrls(ids) answers presigned GET URLs (at most MAX_IDS_PER_URL_REQUEST ids) for the
 *   chunks of `ids` the studio holds, with where each lies in its object when it is in a pack;
 *   none (`direct: false`) when the server serves bytes through the API only. The URLs work for
 *   `ttlSeconds`.
 * - getDirect(url, {range}) GETs a URL downloadUrls gave: exactly `range.size` bytes of the
 *   object from `range.offset`, or the whole object, at most one envelope, else it rejects.
 *   SERVER_UNREACHABLE (CliError) means the bucket cannot be reached from this PC at all.
 * - getChunk(id) reads one chunk's envelope through the API, the fallback for everything else.
 * - Errors are ApiError or CliError, after the implementation's own retries; bytes are returned
 *   as received (ChunkReader's opener authenticates them).
 */
export interface ChunkSource {
  downloadUrls(ids: string[]): Promise<DownloadUrls>;
  getDirect(url: string, o?: { range?: { offset: number; size: number } }): Promise<Buffer>;
  getChunk(id: string): Promise<Buffer>;
}

interface Url {
  url: string;
  /** Epoch ms after which the URL is not used (a margin before it really expires). */
  until: number;
  /** Where the chunk lies in a pack object (else it is the whole object). */
  range?: { offset: number; size: number };
}

/** Where a chunk's envelope lies in a downloaded buffer. */
export interface EnvelopeAt {
  hex: string;
  offset: number;
  size: number;
}

/**
 * Opens the envelopes found at `parts` of `data` (one download) and resolves with their
 * plaintexts, in order; rejects if any fails. `data` is the opener's from then on.
 */
export type Opener = (data: Buffer, parts: EnvelopeAt[]) => Promise<Buffer[]>;

/** How far from the last chunk located a chunk is looked for in the planned order (both ways). */
const LOCATE_WINDOW = 8192;

/** Neighbouring chunks of one pack are read with one ranged GET of at most this many bytes. */
const MAX_GROUP_BYTES = 4 * 1024 * 1024;

export class ChunkReader {
  private direct = true;
  private readonly urls = new Map<string, Url | null>();
  private readonly pending = new Map<string, Promise<void>>();
  /** Chunks read (and opened) along with a neighbour (one ranged GET), until asked for. */
  private readonly slices = new Map<string, Promise<Buffer>>();
  private order: ChunkOrder = orderOf([]);
  /** Where in `order` the last URL batch started: gets arrive roughly in order. */
  private cursor = 0;
  readonly stats = { direct: 0, relay: 0 };

  constructor(
    private readonly api: ChunkSource,
    private readonly open: Opener,
  ) {}

  /**
   * The order in which chunks will be asked for: URLs are fetched ahead along it. A ChunkOrder
   * may grow at its end and forget its start as the restore goes (restore/chunk-order.ts).
   */
  plan(ids: readonly string[] | ChunkOrder): void {
    this.order = Array.isArray(ids) ? orderOf(ids as readonly string[]) : (ids as ChunkOrder);
    this.cursor = this.order.start;
  }

  /** The chunk's plaintext. */
  async get(hex: string): Promise<Buffer> {
    const url = this.direct && !this.slices.has(hex) ? await this.urlFor(hex) : null;
    const slice = this.slices.get(hex); // possibly read meanwhile, with a neighbour
    if (slice || url) {
      try {
        const data = await (slice ?? this.read(hex, url!));
        this.stats.direct++;
        return data;
      } catch (err) {
        if (hasCode(err, "SERVER_UNREACHABLE")) this.direct = false;
      } finally {
        this.slices.delete(hex);
        this.urls.delete(hex); // memory stays bounded by the batches in flight
      }
    }
    this.stats.relay++;
    return this.openOne(hex, await this.api.getChunk(hex));
  }

  /** Opens a download that holds one envelope, the chunk's. */
  private async openOne(hex: string, envelope: Buffer): Promise<Buffer> {
    return (await this.open(envelope, [{ hex, offset: 0, size: envelope.length }]))[0]!;
  }

  /**
   * GETs the chunk from its URL and opens it. A chunk in a pack is read and opened together with
   * the next chunks of the planned order that follow it in the same pack (one ranged GET), which
   * wait in `slices`.
   */
  private read(hex: string, at: Url): Promise<Buffer> {
    if (!at.range) return this.api.getDirect(at.url).then((envelope) => this.openOne(hex, envelope));
    const start = at.range.offset;
    const group: EnvelopeAt[] = [{ hex, offset: 0, size: at.range.size }];
    const inGroup = new Set([hex]);
    let end = start + at.range.size;
    const from = this.locate(hex);
    for (let i = (from ?? this.order.end) + 1; i < this.order.end; i++) {
      const next = this.order.id(i)!;
      const u = this.urls.get(next);
      if (!u?.range || u.url !== at.url || u.range.offset !== end || end + u.range.size - start > MAX_GROUP_BYTES) break;
      if (this.slices.has(next) || inGroup.has(next)) break;
      group.push({ hex: next, offset: end - start, size: u.range.size });
      inGroup.add(next);
      end += u.range.size;
    }
    const opened = this.api.getDirect(at.url, { range: { offset: start, size: end - start } }).then((data) => this.open(data, group));
    group.slice(1).forEach((g, i) => {
      const part = opened.then((plains) => plains[i + 1]!);
      part.catch(() => undefined); // observed by get(); the API relay answers for it then
      this.slices.set(g.hex, part);
    });
    return opened.then((plains) => plains[0]!);
  }

  private async urlFor(hex: string): Promise<Url | null> {
    const known = this.urls.get(hex);
    if (known && known.until > Date.now()) return known;
    if (known === null) {
      this.urls.delete(hex);
      return null; // the server has no URL for it: the API answers (404/410)
    }
    if (!this.pending.has(hex)) this.fetchUrls(hex);
    await this.pending.get(hex);
    return this.urls.get(hex) ?? null;
  }

  /**
   * The chunk's index in the planned order. Gets arrive roughly in order, but not exactly (a get
   * whose URL was known runs ahead of one that waited for its batch): look a window ahead of the
   * cursor, then behind it; the cursor only moves forward. A chunk not found is read alone.
   */
  private locate(hex: string): number | undefined {
    const { order } = this;
    this.cursor = Math.max(this.cursor, order.start);
    for (let i = this.cursor, end = Math.min(order.end, this.cursor + LOCATE_WINDOW); i < end; i++) {
      if (order.id(i) === hex) return (this.cursor = i);
    }
    for (let i = this.cursor - 1, end = Math.max(order.start, this.cursor - LOCATE_WINDOW); i >= end; i--) {
      if (order.id(i) === hex) return i;
    }
    return undefined;
  }

  private fetchUrls(hex: string): void {
    const ids = [hex];
    const asking = new Set(ids);
    const from = this.locate(hex);
    if (from !== undefined) {
      for (let i = from + 1; i < this.order.end && ids.length < MAX_IDS_PER_URL_REQUEST; i++) {
        const next = this.order.id(i)!;
        const u = this.urls.get(next);
        if (!this.pending.has(next) && !(u && u.until > Date.now()) && !asking.has(next)) {
          ids.push(next);
          asking.add(next);
        }
      }
    }
    const asked = Date.now();
    const done = this.api
      .downloadUrls(ids)
      .then(
        (answer) => {
          if (!answer.direct) this.direct = false;
          // Use a URL for at most half its life: a slow restore never hands S3 an expired one.
          const until = asked + (answer.ttlSeconds * 1000) / 2;
          for (const id of ids) {
            const url = answer.urls[id];
            const range = answer.ranges?.[id];
            this.urls.set(id, url ? { url, until, ...(range ? { range } : {}) } : null);
          }
        },
        () => {
          for (const id of ids) this.urls.set(id, null); // the API relay will report the error
        },
      )
      .finally(() => {
        for (const id of ids) this.pending.delete(id);
      });
    for (const id of ids) this.pending.set(id, done);
  }
}
