-- Garbage collection (docs/garbage-collection.md).

-- When a mark last found the chunk outside the studio's live set (null: live or never marked).
ALTER TABLE "Chunk" ADD COLUMN "deadSince" TIMESTAMP(3);
-- The revive (dedup query, pack reports, commit) scans only marked chunks: an empty index scan
-- when nothing is marked.
CREATE INDEX "Chunk_dead_idx" ON "Chunk"("studioId") WHERE "deadSince" IS NOT NULL;
-- Which chunk rows still name a pack object (the object is deleted when none does).
CREATE INDEX "Chunk_objectKey_idx" ON "Chunk"("objectKey");

-- A dead upload's object has been deleted (null: not yet, the next run deletes it again).
ALTER TABLE "Upload" ADD COLUMN "deletedAt" TIMESTAMP(3);

CREATE TABLE "UploadSession" (
    "studioId" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "UploadSession_pkey" PRIMARY KEY ("studioId", "sessionId")
);
CREATE INDEX "UploadSession_studioId_expiresAt_idx" ON "UploadSession"("studioId", "expiresAt");
CREATE INDEX "UploadSession_expiresAt_idx" ON "UploadSession"("expiresAt");

CREATE TABLE "GcState" (
    "studioId" UUID NOT NULL,
    "generation" INTEGER NOT NULL DEFAULT 0,
    "runId" UUID,
    "leaseUntil" TIMESTAMP(3),
    "lastRunAt" TIMESTAMP(3),
    "lastResult" JSONB,
    CONSTRAINT "GcState_pkey" PRIMARY KEY ("studioId")
);
ALTER TABLE "GcState" ADD CONSTRAINT "GcState_studioId_fkey" FOREIGN KEY ("studioId") REFERENCES "Studio"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "UploadSession" ADD CONSTRAINT "UploadSession_studioId_fkey" FOREIGN KEY ("studioId") REFERENCES "Studio"("id") ON DELETE CASCADE ON UPDATE CASCADE;
