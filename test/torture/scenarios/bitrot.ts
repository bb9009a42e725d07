// Scenario 4, bit rot: once the studios' restore points are verified, a share of their stored
// objects is damaged directly in the bucket (flip a bit, truncate, zero a range, delete, swap
// two objects of equal size). Which chunks that damages is computed from the chunk rows and
// the bytes before and after, so the expected findings are exact. Then the server's check
// (`datasafe-admin verify --studio --wait`) and the client's (`datasafe verify ID` for every
// restore point) must find every damaged chunk / restore point (100 %) and nothing else (0 false
// positives), naming the damaged restore points.
import { Rng } from "../../bench/prng.ts";
import { backupUntilDone, waitVerified } from "../backups.ts";
import type { Profile } from "../profile.ts";
import type { ScenarioReport } from "../report.ts";
import type { Rig } from "../rig.ts";
import { adminCli, createStudios } from "../studio.ts";
import { World } from "../world.ts";
import { emptyLog } from "../balancer.ts";
import { fiveXxOf } from "../report.ts";

/** Swap first: it needs an untouched partner of equal size. */
const KINDS = ["swap", "flip", "truncate", "zero", "delete"] as const;
type Kind = (typeof KINDS)[number];

interface ChunkAt {
  id: string;
  offset: number;
  size: number;
}

export async function bitrotScenario(rig: Rig, seed: string, profile: Profile): Promise<ScenarioReport> {
  const t0 = Date.now();
  const p = profile.bitrot;
  const rng = new Rng(`${seed}:bitrot`);
  const world = new World();
  // Studios in pairs with the same tree (same seed), so their packs have equal sizes and can be
  // swapped; plus one control studio, never damaged, whose points must all stay verified.
  const made = await createStudios(rig, profile, p.studios + 1, (i) =>
    i < p.studios ? [`rot-${i + 1}`, `${seed}:rot:${i >> 1}`] : ["rot-control", `${seed}:rot:control`],
  );
  for (const s of made) world.add(s);
  const control = made.at(-1)!;
  rig.balancer.takeLog();
  for (let r = 0; r < p.rounds; r++) {
    await Promise.all(
      world.studios.map(async (s) => {
        if (r > 0) await s.mutate(profile.tree);
        await world.beginRound(s);
        await backupUntilDone(s, world, { maxAttempts: 3 });
      }),
    );
  }
  await waitVerified(rig, world.studios);
  const ids = world.studios.map((s) => s.studioId);
  const db = await rig.db();
  try {
    // Objects and the chunks each holds, in a stable order (the PRNG picks by index).
    const rows = (
      await db.query<{ id: Buffer; objectKey: string; offset: number | null; size: number }>(
        `SELECT id, "objectKey", "offset", size FROM "Chunk" WHERE "studioId" = ANY($1::uuid[]) ORDER BY "objectKey", "offset"`,
        [ids.filter((id) => id !== control.studioId)],
      )
    ).rows;
    const objects = new Map<string, ChunkAt[]>();
    for (const r of rows) {
      const list = objects.get(r.objectKey) ?? [];
      list.push({ id: r.id.toString("hex"), offset: r.offset ?? 0, size: r.size });
      objects.set(r.objectKey, list);
    }
    const keys = [...objects.keys()];
    const sizes = new Map<string, number>();
    for (const k of keys) sizes.set(k, (await rig.store.stat(k))!.size);
    shuffle(keys, rng);
    const count = Math.min(keys.length, Math.max(1, Math.round(keys.length * p.share)));
    const faults: Record<string, number> = { flip: 0, truncate: 0, zero: 0, delete: 0, swap: 0, swapWithoutPartner: 0 };
    const touched = new Set<string>();
    const damaged = new Set<string>();
    const after = new Map<string, Buffer | null>();
    let applied = 0;
    for (const key of keys) {
      if (applied >= count) break;
      if (touched.has(key)) continue; // a swap's partner
      let kind: Kind = KINDS[applied++ % KINDS.length]!;
      const orig = await rig.store.read(key);
      touched.add(key);
      if (kind === "swap") {
        const partner = keys.find((k) => !touched.has(k) && sizes.get(k) === orig.length);
        if (partner) {
          touched.add(partner);
          const other = await rig.store.read(partner);
          after.set(key, other);
          after.set(partner, orig);
          await replace(rig, key, other);
          await replace(rig, partner, orig);
          for (const [k, was, now] of [[key, orig, other] as const, [partner, other, orig] as const]) {
            for (const c of objects.get(k)!) if (changed(c, was, now)) damaged.add(c.id);
          }
          faults.swap!++;
          continue;
        }
        faults.swapWithoutPartner!++;
        kind = "flip";
      }
      const chunk = rng.pick(objects.get(key)!);
      let now: Buffer | null = Buffer.from(orig);
      if (kind === "flip") now[chunk.offset + rng.int(chunk.size)]! ^= 1 << rng.int(8);
      else if (kind === "zero") {
        const at = chunk.offset + rng.int(chunk.size);
        now.fill(0, at, Math.min(chunk.offset + chunk.size, at + rng.range(1, 4096)));
      } else if (kind === "truncate") now = now.subarray(0, rng.int(orig.length));
      else now = null;
      faults[kind]!++;
      after.set(key, now);
      if (now) await replace(rig, key, now);
      else await rig.store.delete(key);
      for (const c of objects.get(key)!) if (changed(c, orig, now)) damaged.add(c.id);
    }

    // Which restore points reference a damaged chunk (their manifest's root or a file's chunk).
    const points = (
      await db.query<{ id: string; studioId: string; refs: Buffer; rootChunkId: Buffer }>(
        `SELECT id, "studioId", refs, "rootChunkId" FROM "RestorePoint" WHERE "studioId" = ANY($1::uuid[]) AND "deletedAt" IS NULL`,
        [ids],
      )
    ).rows;
    const expectedPoints = new Set(
      points
        .filter((pt) => [Buffer.from(pt.rootChunkId).toString("hex"), ...splitRefs(pt.refs)].some((c) => damaged.has(c)))
        .map((pt) => pt.id),
    );

    // The server's check, then the client's (the client's report cannot have helped the server).
    const serverPoints = new Set<string>();
    for (const s of world.studios) {
      const r = await adminCli(rig, ["verify", "--studio", s.studioId, "--wait"]);
      for (const id of (r.damagedRestorePoints as string[] | undefined) ?? []) serverPoints.add(id);
    }
    const serverChunks = new Set(
      (await db.query<{ id: Buffer }>(`SELECT id FROM "Chunk" WHERE "studioId" = ANY($1::uuid[]) AND state = 'damaged'`, [ids])).rows.map(
        (r) => r.id.toString("hex"),
      ),
    );
    const clientPoints = new Set<string>();
    const queue = world.studios.flatMap((s) => points.filter((x) => x.studioId === s.studioId).map((pt) => ({ s, pt })));
    await Promise.all(
      [1, 2].map(async () => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const r = await job.s.run(["verify", job.pt.id]);
          if (r.code !== 0 || r.json.ok !== true) clientPoints.add(job.pt.id);
        }
      }),
    );
    const score = (found: Set<string>, want: Set<string>) => ({
      expected: want.size,
      detected: [...want].filter((x) => found.has(x)).length,
      falsePositives: [...found].filter((x) => !want.has(x)).length,
    });
    const server = { chunks: score(serverChunks, damaged), restorePoints: score(serverPoints, expectedPoints) };
    const client = { restorePoints: score(clientPoints, expectedPoints) };
    const failures: string[] = [];
    for (const [what, s] of [
      ["server, chunks", server.chunks],
      ["server, restore points", server.restorePoints],
      ["client, restore points", client.restorePoints],
    ] as const) {
      if (s.detected !== s.expected) failures.push(`${what}: ${s.detected} of ${s.expected} detected`);
      if (s.falsePositives) failures.push(`${what}: ${s.falsePositives} false positives`);
    }
    if (damaged.size === 0) failures.push("the damage touched no chunk: nothing was tested");
    if (expectedPoints.size === points.length) failures.push("every restore point was damaged: false positives were not tested");
    const status = rig.balancer.takeLog();
    return {
      name: "bitrot",
      load: `${p.studios} studios + 1 control, ${points.length} restore points, ${keys.length} objects (${touched.size} damaged: ${damaged.size} chunks, ${expectedPoints.size} restore points)`,
      faults,
      dataLost: 0,
      missingChunks: server.chunks.expected - server.chunks.detected,
      orphans: 0,
      fiveXx: fiveXxOf(status),
      status: status ?? emptyLog(),
      timeToRecoverMs: null,
      details: { server, client, damagedRestorePoints: [...serverPoints].sort(), expectedRestorePoints: [...expectedPoints].sort() },
      failures,
      durationMs: Date.now() - t0,
    };
  } finally {
    await db.end();
  }
}

/** Overwrites an object in place, as bit rot or an operator would (the store never overwrites). */
async function replace(rig: Rig, key: string, data: Buffer): Promise<void> {
  await rig.store.delete(key);
  await rig.store.put(key, data);
}

function changed(c: ChunkAt, was: Buffer, now: Buffer | null): boolean {
  if (!now || now.length < c.offset + c.size) return true;
  return !was.subarray(c.offset, c.offset + c.size).equals(now.subarray(c.offset, c.offset + c.size));
}

function splitRefs(refs: Buffer): string[] {
  const b = Buffer.from(refs);
  return Array.from({ length: b.length / 32 }, (_, i) => b.subarray(i * 32, (i + 1) * 32).toString("hex"));
}

function shuffle<T>(a: T[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}
