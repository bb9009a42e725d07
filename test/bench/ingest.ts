// Server ingest with many uploaders at once: `clients` studio PCs, each with its own device
// credential, PUT chunk objects to one API process with the real client's request shape
// (the chunk object as the body, X-Content-SHA256) and its reaction to 429/503 (wait Retry-After, retry).
// The same bytes with the same concurrency go straight into the same kind of BlobStore as the
// baseline, so the figure is a ratio: what the HTTP + database + verification layer keeps of the
// store's own throughput on this machine, now.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { createBlobStore, type BlobStore } from "../../server/storage/index.ts";
import type { TestServer } from "../support/server.ts";
import { procCpuSec, procMemory, resetPeakRss } from "./proc.ts";
import { Rng } from "./prng.ts";
import { deviceToken, seedStudios } from "./seed.ts";
import { MiB, mbps, percentile } from "./stats.ts";

export interface IngestOptions {
  clients: number;
  chunksPerClient: number;
  jwtSecret: string;
}

export interface IngestReport {
  store: string;
  clients: number;
  chunks: number;
  MiB: number;
  rawMBps: number;
  ingestMBps: number;
  ratio: number;
  errors: number;
  busyRetries: number;
  serverPeakRssMiB: number;
  serverCpuSec: number;
  missingUnderLoad: { p50: number; p99: number; n: number };
  missingIdle: { p50: number; p99: number; n: number };
}

interface Blob {
  data: Buffer;
  sha256: string;
}

/** Envelope-like random objects of chunk sizes (0.5-1.5 MiB, ~1 MiB average like the chunker's). */
function chunkPool(n: number): Blob[] {
  const rng = new Rng("ingest-pool");
  return Array.from({ length: n }, () => {
    const data = randomBytes(rng.range(MiB / 2, (3 * MiB) / 2));
    return { data, sha256: createHash("sha256").update(data).digest("hex") };
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `clients` workers, each running `perClient` jobs one after the other; returns wall ms. */
async function fanOut(clients: number, perClient: number, job: (client: number, i: number) => Promise<void>): Promise<number> {
  const t = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; i < perClient; i++) await job(c, i);
  }));
  return performance.now() - t;
}

async function putChunk(url: string, token: string, id: string, blob: Blob, counters: { errors: number; busy: number }): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const res = await fetch(`${url}/v1/chunks/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "x-content-sha256": blob.sha256, "content-type": "application/octet-stream" },
      body: new Uint8Array(blob.data.buffer as ArrayBuffer, blob.data.byteOffset, blob.data.length),
    }).catch(() => null);
    if (res?.ok) return void (await res.arrayBuffer());
    if (res?.status === 503 || res?.status === 429) {
      // Back-pressure, not failure: the uploader's client waits Retry-After and sends again.
      counters.busy++;
      await res.arrayBuffer();
      await sleep(Number(res.headers.get("retry-after") ?? 1) * 1000);
      continue;
    }
    counters.errors++;
    return;
  }
  counters.errors++;
}

async function missingLatency(url: string, token: string, known: string[], until: () => boolean, max: number): Promise<number[]> {
  const times: number[] = [];
  while (!until() && times.length < max) {
    // A dedup query as the uploader batches it: 64 ids, half already stored.
    const ids = [...known.slice(0, 32), ...Array.from({ length: 64 - Math.min(32, known.length) }, () => randomBytes(32).toString("hex"))];
    const t = performance.now();
    const res = await fetch(`${url}/v1/chunks/missing`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ ids }),
    });
    await res.arrayBuffer();
    if (res.ok) times.push(performance.now() - t);
  }
  return times;
}

const summary = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), n: xs.length });

export async function measureIngest(server: TestServer, rawStore: BlobStore, storeName: string, o: IngestOptions): Promise<IngestReport> {
  const pool = chunkPool(16);
  const devices = await seedStudios(server.databaseUrl, `ingest-${storeName}`, o.clients + 1);
  const tokens = devices.map((d) => deviceToken(o.jwtSecret, d));
  const sizeOf = (c: number, i: number) => pool[(c * 7 + i) % pool.length]!;
  let bytes = 0;
  for (let c = 0; c < o.clients; c++) for (let i = 0; i < o.chunksPerClient; i++) bytes += sizeOf(c, i).data.length;

  // Baseline: the store alone, same objects, same concurrency, from this process.
  const rawMs = await fanOut(o.clients, o.chunksPerClient, (c, i) => rawStore.put(`bench/raw/${c}/${i}-${randomBytes(4).toString("hex")}`, sizeOf(c, i).data));

  // A probe device asks "which are missing?" all through the ingest: latency under load.
  const probeToken = tokens[o.clients]!;
  const probeKnown: string[] = [];
  const counters = { errors: 0, busy: 0 };
  const spid = server.proc.pid!;
  await resetPeakRss(spid);
  const cpu0 = (await procCpuSec(spid)) ?? 0;
  let done = false;
  const probe = missingLatency(server.url, probeToken, probeKnown, () => done, 100_000);
  const ingestMs = await fanOut(o.clients, o.chunksPerClient, async (c, i) => {
    const id = randomBytes(32).toString("hex");
    await putChunk(server.url, tokens[c]!, id, sizeOf(c, i), counters);
  }).finally(() => (done = true));
  const underLoad = await probe;
  const cpu1 = (await procCpuSec(spid)) ?? cpu0;
  const mem = await procMemory(spid);

  // The probe's own chunks, so its idle queries find half their ids present.
  for (let i = 0; i < 32; i++) {
    const id = randomBytes(32).toString("hex");
    await putChunk(server.url, probeToken, id, pool[i % pool.length]!, counters);
    probeKnown.push(id);
  }
  const idle = await missingLatency(server.url, probeToken, probeKnown, () => false, 300);

  const raw = mbps(bytes, rawMs);
  const ingest = mbps(bytes, ingestMs);
  return {
    store: storeName,
    clients: o.clients,
    chunks: o.clients * o.chunksPerClient,
    MiB: bytes / MiB,
    rawMBps: raw,
    ingestMBps: ingest,
    ratio: ingest / raw,
    errors: counters.errors,
    busyRetries: counters.busy,
    serverPeakRssMiB: mem?.hwmMiB ?? NaN,
    serverCpuSec: cpu1 - cpu0,
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
