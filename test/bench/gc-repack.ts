// The collector's repack at a small size: --packs relayed packs (50) of --chunks chunks (64) of
// --size bytes (16 KiB), committed as one restore point, then a second point keeping 1 - --dead
// (0.3) of each pack's chunks; the first is deleted and swept (repack off), then the repack and
// the objects step are timed. In process, on the S3 server in S3_* when set (else a directory).
//   node --import tsx test/bench/gc-repack.ts [--packs 50] [--chunks 64] [--size 16384] [--dead 0.7]
// Also `npm run bench -- --only gc` (after the mark).
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { collectStudio } from "../../server/services/gc/collect.ts";
import { collectObjects } from "../../server/services/gc/objects.ts";
import { repackStudio } from "../../server/services/gc/repack.ts";
import { commit, gcWorld, HOUR, newChunks, uploadPack } from "../support/gc.ts";

const { values: a } = parseArgs({
  options: {
    packs: { type: "string", default: "50" },
    chunks: { type: "string", default: "64" },
    size: { type: "string", default: "16384" },
    dead: { type: "string", default: "0.7" },
  },
});
const packs = Number(a.packs);
const perPack = Number(a.chunks);
const size = Number(a.size);
const deadShare = Number(a.dead);
const log = (line: string) => process.stderr.write(`${line}\n`);

// Repack off while the garbage is made and swept: only the timed call below repacks.
const w = await gcWorld({ GC_REPACK_DEAD_PERCENT: "101" });
try {
  const first = randomUUID();
  const all: string[] = [];
  const keep: string[] = [];
  for (let p = 0; p < packs; p++) {
    const ids = newChunks(w, perPack, size);
    await uploadPack(w, first, ids);
    all.push(...ids);
    keep.push(...ids.slice(0, Math.round(perPack * (1 - deadShare))));
  }
  await commit(w, first, all);
  await commit(w, randomUUID(), keep);
  await w.ctx.db.restorePoint.delete({ where: { id: first } });
  await collectStudio(w.ctx, w.studioId);
  w.clock.advance(25 * HOUR);
  const swept = await collectStudio(w.ctx, w.studioId);
  const ctx = { ...w.ctx, config: { ...w.ctx.config, gc: { ...w.ctx.config.gc, repackDeadPercent: 50 } } };
  const t0 = performance.now();
  const r = await repackStudio(ctx, w.studioId);
  const t1 = performance.now();
  const o = await collectObjects(ctx, w.studioId, new Set());
  const t2 = performance.now();
  log(
    `gc repack (${w.ctx.config.s3 ? "S3" : "local directory"}): ${packs} packs x ${perPack} chunks x ${size} B, ` +
      `${Math.round(deadShare * 100)} % dead (${swept.ran ? swept.deletedChunks : "?"} chunks swept); ` +
      `repack ${r.repackedPacks} packs, ${(r.repackedBytes / 1e6).toFixed(1)} MB copied, ${(r.repackFreedBytes / 1e6).toFixed(1)} MB freed ` +
      `in ${((t1 - t0) / 1000).toFixed(2)} s (${((r.repackedBytes + r.repackFreedBytes) / 1e6 / ((t1 - t0) / 1000)).toFixed(1)} MB of packs/s); ` +
      `old objects deleted: ${o.deletedObjects} in ${((t2 - t1) / 1000).toFixed(2)} s`,
  );
} finally {
  await w.close();
}
