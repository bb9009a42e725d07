// Pipeline stages alone, one at a time on one core, over a sample of the bench tree: what each
// step of a backup costs, and the throughput limit they imply when all run on 1 or 2 cores.
// Each stage is timed over the same chunks the real uploader would produce.
import { generateKeyPairSync } from "node:crypto";
import { open, stat } from "node:fs/promises";
import { brotliCompress, constants as zc, gzip } from "node:zlib";
import { promisify } from "node:util";
import {
  Chunker,
  chunkId,
  compress,
  decryptChunk,
  DecryptKeyring,
  decompress,
  encryptChunk,
  newSessionKey,
  publicKeyToRaw,
} from "../../uploader/format/index.ts";
import type { StudioDataset } from "./dataset.ts";
import { median, MiB, mbps } from "./stats.ts";

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);
/** The codec the format wrote before zstd, at the settings it used (quality 4, 1 MiB window). */
const brotli4 = (b: Buffer) =>
  brotliAsync(b, { params: { [zc.BROTLI_PARAM_QUALITY]: 4, [zc.BROTLI_PARAM_LGWIN]: 20, [zc.BROTLI_PARAM_SIZE_HINT]: b.length } });

export interface StageResult {
  name: string;
  mbps: number;
  note?: string;
}

export interface StagesReport {
  sampleMiB: number;
  reps: number;
  stages: StageResult[];
  /** Backup CPU stages serialized on one core: 1 / Σ(1/rate). */
  limit1Core: number;
  /** The same spread over two cores with ideal scaling (worker threads measured 1.9-2.0x here). */
  limit2Cores: number;
  dbCompressionRatio: number;
}

/** Reads up to `max` bytes of a file through a 1 MiB buffer, as the uploader does. */
async function readFile(file: string, max: number): Promise<Buffer[]> {
  const fh = await open(file, "r");
  const out: Buffer[] = [];
  try {
    for (let got = 0; got < max;) {
      const buf = Buffer.allocUnsafe(Math.min(MiB, max - got));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (!bytesRead) break;
      out.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      got += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return out;
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

interface Sample {
  pieces: Buffer[];
  total: number;
  dbBytes: number;
}

/** The sample in the tree's proportions: database first, then photos until it is full. */
async function loadSample(ds: StudioDataset, sampleMiB: number): Promise<Sample & { reread: () => Promise<Buffer[]> }> {
  const cap = Math.min(sampleMiB * MiB, ds.bytes);
  const sources: Array<{ file: string; bytes: number }> = [];
  let left = cap;
  for (const file of [ds.dbFile, ...ds.photoFiles]) {
    if (left <= 0) break;
    const size = (await stat(file)).size;
    const take = Math.min(size, left, file === ds.dbFile ? Math.ceil(cap * 0.4) : left);
    sources.push({ file, bytes: take });
    left -= take;
  }
  const reread = async () => (await Promise.all(sources.map((s) => readFile(s.file, s.bytes)))).flat();
  const pieces = await reread();
  return { pieces, total: pieces.reduce((n, p) => n + p.length, 0), dbBytes: sources[0]!.bytes, reread };
}

function chunkAll(key: Buffer, s: Sample): Array<{ plain: Buffer; db: boolean }> {
  const out: Array<{ plain: Buffer; db: boolean }> = [];
  let seen = 0;
  const chunker = new Chunker(key);
  for (const p of s.pieces) {
    const db = seen < s.dbBytes;
    seen += p.length;
    for (const c of chunker.push(p)) out.push({ plain: c, db });
  }
  const last = chunker.finish();
  if (last) out.push({ plain: last, db: false });
  return out;
}

async function seq<T>(items: T[], fn: (x: T, i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i++) await fn(items[i]!, i);
}

export async function measureStages(ds: StudioDataset, opts: { sampleMiB: number; reps: number }): Promise<StagesReport> {
  const sample = await loadSample(ds, opts.sampleMiB);
  const { total } = sample;
  const key = Buffer.alloc(32, 7);
  const chunks = chunkAll(key, sample);
  const box = generateKeyPairSync("x25519");
  const boxPublic = publicKeyToRaw(box.publicKey);
  const session = newSessionKey(boxPublic);
  const keyring = new DecryptKeyring({ boxPrivateKey: box.privateKey, boxPublicKey: boxPublic });
  const ids = chunks.map((c) => chunkId(key, c.plain));
  const packed: Array<{ codec: number; data: Buffer }> = [];
  await seq(chunks, async (c) => packed.push(await compress(c.plain)));
  const envelopes = packed.map((p, i) => encryptChunk(session, "bench-studio", ids[i]!, p.codec, p.data));
  const dbChunks = chunks.filter((c) => c.db);
  const dbPlain = dbChunks.reduce((n, c) => n + c.plain.length, 0);
  const dbPacked = packed.filter((_, i) => chunks[i]!.db).reduce((n, p) => n + p.data.length, 0);
  const photoChunks = chunks.filter((c) => !c.db);
  const photoPlain = photoChunks.reduce((n, c) => n + c.plain.length, 0);

  const stage = async (name: string, bytes: number, fn: () => Promise<unknown> | unknown, note?: () => string): Promise<StageResult> => {
    const times: number[] = [];
    for (let i = 0; i < opts.reps; i++) times.push(await time(fn));
    return { name, mbps: mbps(bytes, median(times)), ...(note ? { note: note() } : {}) };
  };

  const alternative = (name: string, pack: (b: Buffer) => Promise<Buffer>): Promise<StageResult> => {
    let packedBytes = 0;
    return stage(
      name,
      dbPlain,
      async () => {
        packedBytes = 0;
        await seq(dbChunks, async (c) => (packedBytes += (await pack(c.plain)).length));
      },
      () => `ratio ${(dbPlain / Math.max(1, packedBytes)).toFixed(2)}`,
    );
  };

  // One chunk at a time, awaited: the per-core cost even where the call is async (zlib runs on
  // libuv's pool, so overlapping calls would borrow the second core and overstate "per core").
  const pipeline: StageResult[] = [
    await stage("read (page cache, 1 MiB reads)", total, sample.reread),
    await stage(
      "chunk (FastCDC, format Chunker)",
      total,
      () => chunkAll(key, sample),
      () => `${chunks.length} chunks, avg ${(total / chunks.length / MiB).toFixed(2)} MiB`,
    ),
    await stage("chunk id (HMAC-SHA256)", total, () => chunks.forEach((c) => chunkId(key, c.plain))),
    await stage("compress (format compress(), tree mix)", total, () => seq(chunks, (c) => compress(c.plain))),
    await stage("encrypt (AES-256-GCM envelope)", total, () =>
      packed.forEach((p, i) => encryptChunk(session, "bench-studio", ids[i]!, p.codec, p.data)),
    ),
  ];
  const limit1Core = 1 / pipeline.reduce((s, x) => s + 1 / x.mbps, 0);
  // Context, not part of the backup limit: where compression time goes, the alternative the
  // format's choice is judged against, and the restore side's CPU cost.
  const extras: StageResult[] = [
    await stage(
      "compress: database chunks only (zstd-3)",
      dbPlain,
      () => seq(dbChunks, (c) => compress(c.plain)),
      () => `ratio ${(dbPlain / Math.max(1, dbPacked)).toFixed(2)}`,
    ),
    await stage("compress: photo chunks only (probe, stored)", photoPlain, () => seq(photoChunks, (c) => compress(c.plain))),
    await alternative("alternative: brotli q4 on database chunks (format before zstd)", brotli4),
    await alternative("alternative: gzip-1 on database chunks", (b) => gzipAsync(b, { level: 1 })),
    await stage("restore CPU: decrypt+decompress+id check", total, () =>
      seq(envelopes, async (e, i) => {
        const { codec, payload } = decryptChunk(keyring, "bench-studio", ids[i]!, e);
        chunkId(key, await decompress(codec, payload));
      }),
    ),
  ];
  return {
    sampleMiB: total / MiB,
    reps: opts.reps,
    stages: [...pipeline, ...extras],
    limit1Core,
    limit2Cores: 2 * limit1Core,
    dbCompressionRatio: dbPlain / Math.max(1, dbPacked),
  };
}
