// The collector runs again and again (two loops, so runs also overlap once the clock passes a
// run's lease) while several upload sessions back up trees that reuse old chunks, some killed
// midway and resumed later, the ManualClock jumping hours at a time and old restore points being
// deleted (as retention would). Afterwards every chunk of every committed restore point has its
// row and reads back byte for byte from the blob store (Ceph RGW when present).
// GC_RACE_ROUNDS (default 2, ~40 s on a loaded 2-core machine) sets the number of rounds; the count run is printed.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { absentIds } from "../../server/services/absent-ids.ts";
import { collectStudio } from "../../server/services/gc/collect.ts";
import { assertRestorable, commit, DAY, gcWorld, HOUR, newChunks, uploadPack, type GcWorld } from "../support/gc.ts";

const ROUNDS = Number(process.env.GC_RACE_ROUNDS ?? 2);
const SESSIONS = 3;
const PACK = 16;

const pick = <T>(xs: readonly T[], share: number): T[] => xs.filter(() => Math.random() < share);
const codeOf = (err: unknown) => (err as { code?: string }).code;
const details = (err: unknown) => (err as { details?: { missing?: string[] } }).details;

describe("garbage collection racing uploads", () => {
  let w: GcWorld;
  const everUploaded: string[] = [];
  const stats = { collections: 0, overlapping: 0, deletedChunks: 0, deletedObjects: 0, commits: 0, resends: 0, killed: 0 };

  before(async () => {
    w = await gcWorld();
  });
  after(async () => {
    await w?.close();
  });

  /** The uploader's steps for one session: dedup, packs of the absent chunks, pages, commit (re-sending what is missing). */
  async function backup(session: string, tree: string[], killAfterPacks: number | null): Promise<boolean> {
    const absent = (
      await absentIds(
        w.ctx,
        w.studioId,
        tree.map((h) => Buffer.from(h, "hex")),
        session,
      )
    ).map((b) => b.toString("hex"));
    for (let i = 0, packs = 0; i < absent.length; i += PACK, packs++) {
      if (killAfterPacks !== null && packs >= killAfterPacks) return false;
      await uploadPack(w, session, absent.slice(i, i + PACK));
      await sleep(Math.random() * 5);
    }
    if (killAfterPacks !== null) return false; // killed before the commit
    for (let attempt = 0; ; attempt++) {
      try {
        await commit(w, session, tree);
        stats.commits++;
        return true;
      } catch (err) {
        if (codeOf(err) !== "CHUNKS_MISSING" || attempt === 5) throw err;
        const missing = details(err)?.missing ?? [];
        assert.ok(missing.length > 0);
        stats.resends += missing.length;
        for (let i = 0; i < missing.length; i += PACK) await uploadPack(w, session, missing.slice(i, i + PACK));
      }
    }
  }

  async function collectorLoop(stop: { done: boolean }): Promise<void> {
    while (!stop.done) {
      w.clock.advance(Math.random() * 30 * HOUR);
      const r = await collectStudio(w.ctx, w.studioId);
      if (r.ran) {
        stats.collections++;
        stats.deletedChunks += r.deletedChunks;
        stats.deletedObjects += r.deletedObjects;
      } else stats.overlapping++;
      await sleep(Math.random() * 20);
    }
  }

  it(`keeps every chunk of every committed restore point (${ROUNDS} rounds)`, { timeout: 600_000 }, async () => {
    const base = newChunks(w, 80);
    const first = randomUUID();
    for (let i = 0; i < base.length; i += PACK) await uploadPack(w, first, base.slice(i, i + PACK));
    await commit(w, first, base);
    everUploaded.push(...base);
    let resumable: Array<{ session: string; tree: string[] }> = [];

    for (let round = 0; round < ROUNDS; round++) {
      const stop = { done: false };
      const collectors = [collectorLoop(stop), collectorLoop(stop)];
      const jobs: Array<Promise<unknown>> = [];
      for (const r of resumable) jobs.push(backup(r.session, r.tree, null));
      resumable = [];
      for (let s = 0; s < SESSIONS; s++) {
        const tree = [...new Set([...pick(everUploaded, 0.3), ...newChunks(w, 10 + Math.floor(Math.random() * 30))])].sort();
        everUploaded.push(...tree.filter((id) => !everUploaded.includes(id)));
        const session = randomUUID();
        const kill = Math.random() < 0.3 ? Math.floor(Math.random() * 3) : null;
        if (kill !== null) {
          stats.killed++;
          // Half are resumed in the next round; the others never come back (their packs are garbage).
          if (Math.random() < 0.5) resumable.push({ session, tree });
        }
        jobs.push(sleep(Math.random() * 50).then(() => backup(session, tree, kill)));
      }
      // Retention's hard delete of an old restore point: its chunks become garbage unless shared.
      const points = await w.ctx.db.restorePoint.findMany({
        where: { studioId: w.studioId },
        orderBy: { createdAt: "asc" },
        select: { id: true },
      });
      for (const p of points.slice(0, -3)) await w.ctx.db.restorePoint.delete({ where: { id: p.id } });
      await Promise.all(jobs);
      stop.done = true;
      await Promise.all(collectors);
      await assertRestorable(w);
    }
    for (const r of resumable) await backup(r.session, r.tree, null);
    // Garbage for certain, whatever the rounds drew (a run whose kills left nothing unreferenced
    // and whose deletions found too few points once failed the liveness check below): a restore
    // point of chunks no other tree has, deleted as retention would delete it.
    const doomed = randomUUID();
    assert.ok(await backup(doomed, newChunks(w, 12), null), "the doomed point commits");
    await w.ctx.db.restorePoint.delete({ where: { id: doomed } });
    for (let i = 0; i < 3; i++) {
      w.clock.advance(4 * DAY);
      const r = await collectStudio(w.ctx, w.studioId);
      if (r.ran) stats.deletedChunks += r.deletedChunks;
    }
    const checked = await assertRestorable(w);
    const points = await w.ctx.db.restorePoint.count({ where: { studioId: w.studioId } });
    process.stderr.write(
      `gc race: ${ROUNDS} rounds, ${points} restore points kept, ${checked} referenced chunks restorable; ${JSON.stringify(stats)}\n`,
    );
    assert.ok(stats.deletedChunks > 0, "the collector deleted garbage meanwhile");
    assert.ok(stats.collections > ROUNDS);
  });
});
