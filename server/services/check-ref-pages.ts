// Checks the pending reference pages of a restore point before its commit, one page per query, in
// Postgres: the page is split into its ids there and each id is probed in the Chunk primary key,
// so neither a page nor its ids travel to Node. The API holds, whatever the number of pages, the
// last id of the previous page (to check order across the boundary), a running hash, and at most
// MISSING_LISTED missing ids. Checked: ids sorted and unique (also across pages), the manifest
// root listed, how many there are, and which chunks the studio does not hold (none, or damaged).
//
// Each page's SHA-256 is taken in the same query (one snapshot) as its checks; the commit builds
// `refs` only if the pages still hash the same, so what is committed is what was checked, even
// if a page is re-sent meanwhile (commit-restore-point.ts).
//
// Measured with `node --import tsx test/bench/commit.ts --pages 100` (1,638,400 ids; API peak RSS
// during the commit, reset through /proc; a 2-core machine shared with other jobs, load 8-27):
//   before (pages concatenated and split into Buffers in Node): +1.2-1.3 GB, and HTTP 500 after
//     75-88 s (the 50 MB insert outran Prisma's 5 s transaction timeout);
//   after: +1 MB, 201 in 102 s (at load 27; the time is Postgres' 1.6 M index probes).
// At 16 pages (test/integration/commit-bounds.test.ts): +224 MB before, +4 MB after.
//
// Why not in Node, page by page, with absent-ids.ts: its 10,000-id array parameters are kept by
// Prisma's debug module, which holds the arguments of its last 100 calls even when DEBUG is off
// (@prisma/debug, MAX_ARGS_HISTORY): measured +1.5 MB of heap kept per 10,000-id call, up to
// ~150 MB. Here every parameter is a few bytes.
import { createHash } from "node:crypto";
import type { Ctx } from "../context.ts";
import { bytes } from "../db.ts";
import { errors } from "../errors.ts";
import type { Writer } from "./ref-pages.ts";

/** CHUNKS_MISSING lists this many ids at most (and counts them all). */
export const MISSING_LISTED = 1000;

export interface CheckedRefs {
  count: number;
  /** SHA-256 over the pages' own SHA-256 digests, in page order. */
  digest: Buffer;
  rootListed: boolean;
  missing: string[];
  missingCount: number;
}

interface PageCheck {
  sha256: string | null;
  n: number;
  first: string | null;
  last: string | null;
  sorted: boolean | null;
  root: boolean | null;
  missingCount: number;
  missing: string[] | null;
}

export async function checkRefPages(
  ctx: Ctx,
  who: Writer,
  restorePointId: string,
  pages: number,
  rootChunkId: Buffer,
): Promise<CheckedRefs> {
  const digests = createHash("sha256");
  const out: CheckedRefs = { count: 0, digest: Buffer.alloc(0), rootListed: false, missing: [], missingCount: 0 };
  let previousLast: string | null = null;
  for (let page = 0; page < pages; page++) {
    const c = await checkPage(ctx, who, restorePointId, page, rootChunkId, MISSING_LISTED - out.missing.length);
    if (!c.sha256) throw errors.conflict("REFS_INCOMPLETE", `reference page ${page} is missing`);
    // Hex of equal length sorts as the bytes do.
    if (!c.sorted || (previousLast !== null && c.first! <= previousLast)) throw errors.validation("references must be sorted and unique");
    previousLast = c.last;
    out.count += c.n;
    out.rootListed ||= Boolean(c.root);
    out.missingCount += c.missingCount;
    out.missing.push(...(c.missing ?? []));
    digests.update(Buffer.from(c.sha256, "hex"));
  }
  out.digest = digests.digest();
  return out;
}

/**
 * One page, one snapshot. The LATERAL ... LIMIT 1 makes each id an index probe of Chunk's
 * (studioId, id) key whatever the planner's statistics (a hash join over all of a studio's chunks
 * would read them all for each page).
 */
async function checkPage(ctx: Ctx, who: Writer, restorePointId: string, page: number, root: Buffer, listMax: number): Promise<PageCheck> {
  const [row] = await ctx.db.$queryRaw<PageCheck[]>`
    WITH pg AS MATERIALIZED (
      SELECT ids FROM "PendingRefPage"
      WHERE "studioId" = ${who.studioId}::uuid AND "restorePointId" = ${restorePointId}::uuid AND page = ${page}::int AND "deviceId" = ${who.deviceId}::uuid
    ), refs AS MATERIALIZED (
      SELECT i, substring(pg.ids FROM i * 32 + 1 FOR 32) AS id FROM pg, generate_series(0, octet_length(pg.ids) / 32 - 1) AS i
    ), missing AS MATERIALIZED (
      SELECT r.i, r.id FROM refs r
      LEFT JOIN LATERAL (
        SELECT 1 AS found FROM "Chunk" c WHERE c."studioId" = ${who.studioId}::uuid AND c.id = r.id AND c.state <> 'damaged' LIMIT 1
      ) f ON true
      WHERE f.found IS NULL
    )
    SELECT (SELECT encode(sha256(ids), 'hex') FROM pg) AS sha256,
           (SELECT count(*)::int FROM refs) AS n,
           (SELECT encode(id, 'hex') FROM refs ORDER BY i LIMIT 1) AS first,
           (SELECT encode(id, 'hex') FROM refs ORDER BY i DESC LIMIT 1) AS last,
           (SELECT coalesce(bool_and(ok), true) FROM (SELECT id > lag(id) OVER (ORDER BY i) AS ok FROM refs) s) AS sorted,
           (SELECT bool_or(id = ${bytes(root)}::bytea) FROM refs) AS root,
           (SELECT count(*)::int FROM missing) AS "missingCount",
           (SELECT array_agg(encode(id, 'hex') ORDER BY i) FROM (SELECT i, id FROM missing ORDER BY i LIMIT ${listMax}::int) m) AS missing`;
  return row!;
}
