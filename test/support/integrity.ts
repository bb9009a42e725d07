// Helpers for the integrity tests: the device's API credential, polling, direct (test-only)
// access to the server's database and blob store to inspect and damage what it stores, and
// extra worker processes sharing a test server's configuration.
import type { ChildProcess } from "node:child_process";
import pg from "pg";
import { loadConfig } from "../../server/config.ts";
import { type BlobStore, createBlobStore } from "../../server/storage/index.ts";
import type { Pc } from "./cli.ts";
import { spawnNode } from "./process.ts";
import type { TestServer } from "./server.ts";

export function authOf(pc: Pc): Promise<Record<string, string>> {
  return pc.auth();
}

export async function getJson<T>(server: TestServer, auth: Record<string, string>, url: string): Promise<T> {
  const res = await fetch(`${server.url}${url}`, { headers: auth });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface HealthView {
  id: string;
  health: "pending" | "verified" | "damaged";
  verifiedAt: string | null;
  damagedChunks: number;
  clientVerification: { at: string; ok: boolean } | null;
  /** Set while replaced chunks of the point await a studio PC's signed verify (repair.ts). */
  repairUnconfirmedSince: string | null;
}

export async function healthById(server: TestServer, auth: Record<string, string>): Promise<Map<string, HealthView>> {
  const list = await getJson<{ restorePoints: HealthView[] }>(server, auth, "/v1/restore-points");
  return new Map(list.restorePoints.map((r) => [r.id, r]));
}

/** Waits until no restore point of the studio is pending; returns health by id. */
export async function settled(server: TestServer, auth: Record<string, string>, timeoutMs = 30_000): Promise<Map<string, HealthView>> {
  return waitFor(
    "verification to settle",
    async () => {
      const h = await healthById(server, auth);
      return [...h.values()].every((r) => r.health !== "pending") ? h : null;
    },
    timeoutMs,
  );
}

export async function sql(server: TestServer): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  return client;
}

export interface ChunkRow {
  id: string;
  objectKey: string;
  /** Where the chunk starts in its pack object; null when the object is the chunk alone. */
  offset: number | null;
  size: number;
  state: string;
}

export async function chunkRow(db: pg.Client, id: string): Promise<ChunkRow> {
  const r = await db.query<ChunkRow>(
    `SELECT encode(id, 'hex') AS id, "objectKey", "offset", size, state FROM "Chunk" WHERE id = decode($1, 'hex')`,
    [id],
  );
  if (!r.rows[0]) throw new Error(`no chunk ${id}`);
  return r.rows[0];
}

export async function refsOf(db: pg.Client, restorePointId: string): Promise<string[]> {
  const r = await db.query<{ refs: Buffer }>(`SELECT refs FROM "RestorePoint" WHERE id = $1`, [restorePointId]);
  const refs = r.rows[0]!.refs;
  return Array.from({ length: refs.length / 32 }, (_, i) => refs.subarray(i * 32, (i + 1) * 32).toString("hex"));
}

/** The server's own blob store (same configuration), for the test to damage objects. */
export function blobStoreOf(server: TestServer): BlobStore {
  const config = loadConfig(server.env, { dotenv: false });
  return config.s3 ? createBlobStore({ kind: "s3", ...config.s3 }) : createBlobStore({ kind: "local", dir: config.blobDir });
}

export type Damage = "flip" | "delete" | "truncate";

/**
 * Damages the object holding a chunk, in place (replaced under the same key: what bit rot or an
 * operator does): "flip" one byte in the middle of the chunk; "truncate" the object to end 17
 * bytes before the chunk's end (the chunks after it in a pack are cut off too); "delete" the object
 * (with every chunk of its pack).
 */
export async function damage(store: BlobStore, chunk: Pick<ChunkRow, "objectKey" | "offset" | "size">, kind: Damage): Promise<void> {
  const key = chunk.objectKey;
  const data = await store.read(key);
  const start = chunk.offset ?? 0;
  await store.delete(key);
  if (kind === "delete") return;
  if (kind === "flip") {
    data[start + Math.floor(chunk.size / 2)]! ^= 0x01;
    await store.put(key, data);
  } else {
    await store.put(key, data.subarray(0, start + chunk.size - 17));
  }
}

/** A worker process (role "worker") with the server's configuration plus `env`. */
export function startWorkerProcess(
  server: TestServer,
  env: Record<string, string> = {},
): { proc: ChildProcess; logs(): string; exited: Promise<NodeJS.Signals | number | null> } {
  const p = spawnNode(["--import", "tsx", "server/main.ts", "worker"], { env: { ...server.env, ...env } });
  return { proc: p.proc, logs: p.output, exited: p.closed.then(({ code, signal }) => signal ?? code) };
}
