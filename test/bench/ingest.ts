// Server ingest with many uploaders at once: `clients` studio PCs, each with its own device
// credential, send their chunks in packs (as uploader/backup/packer.ts groups them: consecutive
// chunks up to MAX_PACK_BYTES) through the uploader's own API client (uploader/api/client.ts),
// so the path is the one studios take: with S3, a presigned PUT straight to the bucket and a
// report to the API; with the local directory store, the body relayed by the API. Its reaction
// to 429/503 is the real one too (wait Retry-After, retry); the server counts those.
// The same objects (the packs' bytes) with the same concurrency go straight into the same kind of
// BlobStore as the baseline, so the figure is a ratio: what the HTTP + database layer keeps of
// the store's own throughput on this machine, now.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { MAX_PACK_BYTES } from "../../protocol/limits.ts";
import { createBlobStore, type BlobStore } from "../../server/storage/index.ts";
import { BulkAgents } from "../../uploader/api/http-transport.ts";
import { ApiClient } from "../../uploader/api/client.ts";
import type { TestServer } from "../support/server.ts";
import { procCpuSec, procMemory, resetPeakRss } from "./proc.ts";
import { Rng } from "./prng.ts";
import { deviceToken, seedStudios } from "./seed.ts";
import { MiB, mbps, medianOf, percentile } from "./stats.ts";

export interface IngestOptions {
  clients: number;
  chunksPerClient: number;
  /** Measured rounds of raw and ingest (alternating); medians reported. */
  reps: number;
  jwtSecret: string;
}

export interface IngestReport {
  store: string;
  clients: number;
  chunks: number;
  /** Objects stored: the chunks' packs. */
  objects: number;
  /** Per round: `MiB` in `objects`; medians over `reps` rounds of each, after one warm-up round. */
  MiB: number;
  reps: number;
  rawMBps: number;
  ingestMBps: number;
  /** Median of each round's ingest/raw (a round: a raw and an ingest run next to each other). */
  ratio: number;
  ratios: number[];
  rounds: Array<{ rawMBps: number; ingestMBps: number }>;
  /** The unmeasured first round of each, for the record (a freshly started server). */
  warmUp: { rawMBps: number; ingestMBps: number };
  /** Over all rounds, the warm-up included. */
  errors: number;
  busyAnswers: number;
  serverPeakRssMiB: number;
  /** Per round (median). */
  serverCpuSec: number;
  /** CPU of this process, which plays all the uploaders (on the same cores as the server). */
  uploadersCpuSec: number;
  missingUnderLoad: { p50: number; p99: number; n: number };
  missingIdle: { p50: number; p99: number; n: number };
}

interface Blob {
  data: Buffer;
  sha256: string;
}

/** Consecutive chunks up to MAX_PACK_BYTES each, as the uploader's packer groups them. */
function packsOf(blobs: Blob[]): Blob[][] {
  const packs: Blob[][] = [];
  let size = Infinity;
  for (const b of blobs) {
    if (size + b.data.length > MAX_PACK_BYTES) {
      packs.push([]);
      size = 0;
    }
    packs.at(-1)!.push(b);
    size += b.data.length;
  }
  return packs;
}

/** Envelope-like random objects of chunk sizes (0.5-1.5 MiB, ~1 MiB average like the chunker's). */
function chunkPool(n: number): Blob[] {
  const rng = new Rng("ingest-pool");
  return Array.from({ length: n }, () => {
    const data = randomBytes(rng.range(MiB / 2, (3 * MiB) / 2));
    return { data, sha256: createHash("sha256").update(data).digest("hex") };
  });
}

/** `clients` workers, each running `perClient` jobs one after the other; returns wall ms. */
async function fanOut(clients: number, perClient: number, job: (client: number, i: number) => Promise<void>): Promise<number> {
  const t = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) await job(c, i);
    }),
  );
  return performance.now() - t;
}

/** 429 answers the server gave to uploads so far (its own counter, GET /metrics). */
async function busyAnswers(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^datasafe_uploads_busy_total (\d+)/m.exec(text)?.[1] ?? 0);
}

async function missingLatency(client: ApiClient, known: string[], until: () => boolean, max: number): Promise<number[]> {
  const times: number[] = [];
  while (!until() && times.length < max) {
    // A dedup query as the uploader batches it: 64 ids, half already stored.
    const ids = [...known.slice(0, 32), ...Array.from({ length: 64 - Math.min(32, known.length) }, () => randomBytes(32).toString("hex"))];
    const t = performance.now();
    await client.missing(ids, BENCH_SESSION);
    times.push(performance.now() - t);
  }
  return times;
}

/** The upload session the bench's packs and dedup queries name (a restore point id, never committed). */
const BENCH_SESSION = randomUUID();

const summary = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), n: xs.length });

export async function measureIngest(server: TestServer, rawStore: BlobStore, storeName: string, o: IngestOptions): Promise<IngestReport> {
  const pool = chunkPool(16);
  const devices = await seedStudios(server.databaseUrl, `ingest-${storeName}`, o.clients + 1);
  // Each studio PC with its own connections, as separate processes would have.
  const clients = devices.map((d) => new ApiClient(server.url, deviceToken(o.jwtSecret, d), new BulkAgents()));
  const sizeOf = (c: number, i: number) => pool[(c * 7 + i) % pool.length]!;
  const packs = Array.from({ length: o.clients }, (_, c) => packsOf(Array.from({ length: o.chunksPerClient }, (_, i) => sizeOf(c, i))));
  const perClient = Math.max(...packs.map((p) => p.length));
  let bytes = 0;
  for (let c = 0; c < o.clients; c++) for (let i = 0; i < o.chunksPerClient; i++) bytes += sizeOf(c, i).data.length;

  // Baseline: the store alone, the same objects, same concurrency, from this process.
  const rawRound = () =>
    fanOut(o.clients, perClient, async (c, i) => {
      const pack = packs[c]![i];
      if (pack) await rawStore.put(`bench/raw/${c}/${i}-${randomBytes(4).toString("hex")}`, Buffer.concat(pack.map((b) => b.data)));
    });

  const probe = clients[o.clients]!;
  const probeKnown: string[] = [];
  let errors = 0;
  /** One pack of these chunks (fresh ids); an error answer for any chunk counts as one error. */
  const put = async (client: ApiClient, blobs: Blob[]): Promise<string[]> => {
    const table = blobs.map((b) => ({ id: randomBytes(32).toString("hex"), size: b.data.length, sha256: b.sha256 }));
    try {
      const results = await (
        await client.sendPack(
          table,
          blobs.map((b) => b.data),
          BENCH_SESSION,
        )
      ).recorded;
      if (results.some((r) => "error" in r)) errors++;
    } catch {
      errors++;
    }
    return table.map((t) => t.id);
  };
  const ingestRound = () =>
    fanOut(o.clients, perClient, async (c, i) => {
      const pack = packs[c]![i];
      if (pack) await put(clients[c]!, pack);
    });

  // A warm-up round of each, not measured: a server that has been up for a while has compiled its
  // hot paths (V8's optimizing compiler runs on the same cores) and opened its database
  // connections, and the store's directories exist. Its errors count all the same, and so do the
  // server's peak RSS and 429 answers.
  const busy0 = await busyAnswers(server.url);
  const spid = server.proc.pid!;
  await resetPeakRss(spid);
  const warmUp = { rawMBps: mbps(bytes, await rawRound()), ingestMBps: mbps(bytes, await ingestRound()) };

  const rounds: Array<{ raw: number; ingest: number; ratio: number; serverCpuSec: number; uploadersCpuSec: number }> = [];
  const underLoad: number[] = [];
  // Raw and ingest rounds alternate in pairs, raw first in even pairs and last in odd ones (ABBA),
  // and each ratio is within its pair: a drift in what else the machine does (page-cache
  // writeback, other tenants) moves both sides of a ratio alike.
  for (let rep = 0; rep < o.reps; rep++) {
    const rawFirst = rep % 2 === 0;
    let rawMs = rawFirst ? await rawRound() : NaN;
    const cpu0 = (await procCpuSec(spid)) ?? 0;
    const own0 = process.cpuUsage();
    // A probe device asks "which are missing?" all through the ingest: latency under load.
    let done = false;
    const probing = missingLatency(probe, probeKnown, () => done, 100_000);
    const ingestMs = await ingestRound().finally(() => (done = true));
    const own = process.cpuUsage(own0);
    underLoad.push(...(await probing));
    const cpu1 = (await procCpuSec(spid)) ?? cpu0;
    if (!rawFirst) rawMs = await rawRound();
    const raw = mbps(bytes, rawMs);
    const ingest = mbps(bytes, ingestMs);
    rounds.push({ raw, ingest, ratio: ingest / raw, serverCpuSec: cpu1 - cpu0, uploadersCpuSec: (own.user + own.system) / 1e6 });
  }
  const busy = (await busyAnswers(server.url)) - busy0;
  const mem = await procMemory(spid);

  // The probe's own chunks, so its idle queries find half their ids present.
  for (let i = 0; i < 32; i += 4)
    probeKnown.push(
      ...(await put(
        probe,
        Array.from({ length: 4 }, (_, j) => pool[(i + j) % pool.length]!),
      )),
    );
  const idle = await missingLatency(probe, probeKnown, () => false, 300);

  const m = medianOf(rounds);
  return {
    store: storeName,
    clients: o.clients,
    chunks: o.clients * o.chunksPerClient,
    objects: packs.reduce((n, p) => n + p.length, 0),
    MiB: bytes / MiB,
    reps: o.reps,
    rawMBps: m.raw,
    ingestMBps: m.ingest,
    ratio: m.ratio,
    ratios: rounds.map((r) => r.ratio),
    rounds: rounds.map((r) => ({ rawMBps: r.raw, ingestMBps: r.ingest })),
    warmUp,
    errors,
    busyAnswers: busy,
    serverPeakRssMiB: mem?.hwmMiB ?? NaN,
    serverCpuSec: m.serverCpuSec,
    uploadersCpuSec: m.uploadersCpuSec,
    missingUnderLoad: summary(underLoad),
    missingIdle: summary(idle),
  };
}

/** A local-directory store in a fresh directory next to the server's (same filesystem). */
export async function localRawStore(server: TestServer): Promise<{ store: BlobStore; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(server.dir, "raw-"));
  const store = createBlobStore({ kind: "local", dir });
  await store.init();
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
