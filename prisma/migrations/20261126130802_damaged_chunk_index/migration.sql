-- Hand-written (Prisma's schema cannot express a partial index): the studio's damaged chunks,
-- looked up by every dedup query so that damaged chunks are reported missing and re-uploaded
-- (server/services/integrity/damaged.ts). Only damaged rows enter the index, so it stays tiny
-- while the Chunk table grows to billions of rows.
CREATE INDEX "Chunk_damaged_idx" ON "Chunk"("studioId") WHERE "state" = 'damaged';
