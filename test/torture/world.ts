// The torture world: what every test studio backed up, and `verifyWorld`, the check that
// nothing was lost. A studio's source changes only between rounds, so every restore point
// committed during a round (however many killed attempts it took) must restore to the tree
// recorded when the round began.
//
// verifyWorld, from the outside (the rig's Postgres and the bucket itself, never through the API):
//   - every committed restore point of every studio restored with the real CLI and compared
//     byte for byte (and mode, mtime, link) with the round's recorded tree;
//   - every restore point an uploader reported as committed exists (none lost);
//   - every chunk a committed point references has a row, and its bytes in the bucket have the
//     recorded size and SHA-256 (the server's own check, check-chunk.ts);
//   - objects in the bucket that no chunk row names: those an upload record still covers wait
//     for garbage collection; the others are orphans (nothing will ever delete them).
import { isDeepStrictEqual } from "node:util";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { checkChunks } from "../../server/services/integrity/check-chunk.ts";
import { describeTree, type TreeEntry } from "../support/tree.ts";
import type { Rig } from "./rig.ts";
import type { Studio } from "./studio.ts";

interface Round {
  since: number;
  tree: Map<string, TreeEntry>;
}

export interface WorldCheck {
  restorePoints: number;
  restored: number;
  /** Points that did not restore to their recorded tree, or that were reported and are gone. */
  dataLost: Array<{ studio: string; restorePointId: string; why: string }>;
  /** Chunks referenced by committed points that are missing or corrupt in storage. */
  badChunks: Array<{ studio: string; chunkId: string; problem: string; restorePoints: string[] }>;
  pointsWithBadChunks: number;
  unreferencedAwaitingGc: number;
  orphans: string[];
}

export class World {
  readonly studios: Studio[] = [];
  private readonly rounds = new Map<string, Round[]>();
  private readonly reported = new Map<string, Set<string>>();

  add(studio: Studio): void {
    this.studios.push(studio);
    this.rounds.set(studio.studioId, []);
    this.reported.set(studio.studioId, new Set());
  }

  /** Call once the studio's source is in its new state, before the round's first backup. */
  async beginRound(studio: Studio): Promise<void> {
    this.rounds.get(studio.studioId)!.push({ since: Date.now(), tree: await describeTree(studio.src) });
  }

  /** An uploader said this restore point was committed. */
  committed(studio: Studio, restorePointId: string): void {
    this.reported.get(studio.studioId)!.add(restorePointId);
  }

  roundsOf(studio: Studio): Round[] {
    return this.rounds.get(studio.studioId)!;
  }

  reportedOf(studio: Studio): Set<string> {
    return this.reported.get(studio.studioId)!;
  }
}

interface PointRow {
  id: string;
  createdAt: Date;
  refs: Buffer;
  rootChunkId: Buffer;
}

export async function verifyWorld(rig: Rig, world: World, opts: { parallel?: number } = {}): Promise<WorldCheck> {
  const out: WorldCheck = {
    restorePoints: 0,
    restored: 0,
    dataLost: [],
    badChunks: [],
    pointsWithBadChunks: 0,
    unreferencedAwaitingGc: 0,
    orphans: [],
  };
  const db = await rig.db();
  try {
    const badPoints = new Set<string>();
    for (const studio of world.studios) {
      const points = (
        await db.query<PointRow>(
          `SELECT id, "createdAt", refs, "rootChunkId" FROM "RestorePoint" WHERE "studioId" = $1 AND "deletedAt" IS NULL ORDER BY "createdAt"`,
          [studio.studioId],
        )
      ).rows;
      out.restorePoints += points.length;
      const ids = new Set(points.map((p) => p.id));
      for (const id of world.reportedOf(studio)) {
        if (!ids.has(id)) out.dataLost.push({ studio: studio.name, restorePointId: id, why: "reported committed, not on the server" });
      }
      await restoreAll(studio, points, world.roundsOf(studio), rig.dir, opts.parallel ?? 2, out);
      for (const bad of await checkReferencedChunks(rig, db, studio, points)) {
        out.badChunks.push(bad);
        for (const p of bad.restorePoints) badPoints.add(p);
      }
    }
    out.pointsWithBadChunks = badPoints.size;
    await inventory(rig, db, out);
  } finally {
    await db.end();
  }
  return out;
}

async function restoreAll(
  studio: Studio,
  points: PointRow[],
  rounds: Round[],
  dir: string,
  parallel: number,
  out: WorldCheck,
): Promise<void> {
  const queue = [...points];
  const one = async (p: PointRow) => {
    const round = rounds.filter((r) => r.since <= p.createdAt.getTime()).at(-1);
    if (!round) {
      out.dataLost.push({ studio: studio.name, restorePointId: p.id, why: "committed before its round began (clock?)" });
      return;
    }
    const to = await mkdtemp(path.join(dir, "restore-"));
    try {
      const r = await studio.run(["restore", p.id, "--to", to]);
      if (r.code !== 0) {
        out.dataLost.push({
          studio: studio.name,
          restorePointId: p.id,
          why: `restore failed (${r.code}): ${r.stderr.trim().slice(0, 300)}`,
        });
        return;
      }
      const got = await describeTree(path.join(to, path.basename(studio.src)));
      if (!isDeepStrictEqual(got, round.tree)) {
        out.dataLost.push({ studio: studio.name, restorePointId: p.id, why: `differs from its source: ${treeDiff(round.tree, got)}` });
        return;
      }
      out.restored++;
    } finally {
      await rm(to, { recursive: true, force: true });
    }
  };
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let p = queue.shift(); p; p = queue.shift()) await one(p);
    }),
  );
}

function treeDiff(want: Map<string, TreeEntry>, got: Map<string, TreeEntry>): string {
  const diffs: string[] = [];
  for (const [k, v] of want) if (!isDeepStrictEqual(v, got.get(k))) diffs.push(got.has(k) ? `${k} changed` : `${k} missing`);
  for (const k of got.keys()) if (!want.has(k)) diffs.push(`${k} extra`);
  return diffs.slice(0, 5).join(", ") || "(metadata)";
}

async function checkReferencedChunks(
  rig: Rig,
  db: import("pg").Client,
  studio: Studio,
  points: PointRow[],
): Promise<WorldCheck["badChunks"]> {
  const users = new Map<string, string[]>();
  for (const p of points) {
    const refs = Buffer.from(p.refs);
    const ids = Array.from({ length: refs.length / 32 }, (_, i) => refs.subarray(i * 32, (i + 1) * 32).toString("hex"));
    for (const id of [Buffer.from(p.rootChunkId).toString("hex"), ...ids]) {
      const list = users.get(id);
      if (list) {
        if (list.at(-1) !== p.id) list.push(p.id);
      } else users.set(id, [p.id]);
    }
  }
  const wanted = [...users.keys()];
  const rows = (
    await db.query<{ id: Buffer; size: number; sha256: Buffer; objectKey: string; offset: number | null; state: string }>(
      `SELECT id, size, sha256, "objectKey", "offset", state FROM "Chunk" WHERE "studioId" = $1 AND id = ANY($2::bytea[])`,
      [studio.studioId, wanted.map((h) => Buffer.from(h, "hex"))],
    )
  ).rows;
  const bad: WorldCheck["badChunks"] = [];
  const found = new Set(rows.map((r) => r.id.toString("hex")));
  for (const id of wanted)
    if (!found.has(id)) bad.push({ studio: studio.name, chunkId: id, problem: "no row", restorePoints: users.get(id)! });
  for (const { row, result } of await checkChunks(rig.store, rows, () => "read", 8)) {
    if (result.problem) {
      const id = row.id.toString("hex");
      bad.push({ studio: studio.name, chunkId: id, problem: result.problem, restorePoints: users.get(id)! });
    }
  }
  return bad;
}

async function inventory(rig: Rig, db: import("pg").Client, out: WorldCheck): Promise<void> {
  const named = new Set((await db.query<{ k: string }>(`SELECT DISTINCT "objectKey" AS k FROM "Chunk"`)).rows.map((r) => r.k));
  const recorded = new Set(
    (await db.query<{ k: string }>(`SELECT "objectKey" AS k FROM "Upload" WHERE "deletedAt" IS NULL`)).rows.map((r) => r.k),
  );
  for await (const o of rig.store.list("")) {
    if (named.has(o.key)) continue;
    if (recorded.has(o.key)) out.unreferencedAwaitingGc++;
    else out.orphans.push(o.key);
  }
}
