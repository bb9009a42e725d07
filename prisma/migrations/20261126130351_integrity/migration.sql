-- CreateEnum
CREATE TYPE "ChunkState" AS ENUM ('unverified', 'ok', 'damaged');

-- CreateEnum
CREATE TYPE "RestorePointHealth" AS ENUM ('pending', 'verified', 'damaged');

-- AlterTable
ALTER TABLE "Studio" ADD COLUMN     "scrubbedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Chunk" ADD COLUMN     "checkedAt" TIMESTAMP(3),
ADD COLUMN     "damagedAt" TIMESTAMP(3),
ADD COLUMN     "problem" TEXT,
ADD COLUMN     "state" "ChunkState" NOT NULL DEFAULT 'unverified',
ADD COLUMN     "verifiedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "RestorePoint" ADD COLUMN     "clientVerifiedAt" TIMESTAMP(3),
ADD COLUMN     "clientVerify" JSONB,
ADD COLUMN     "clientVerifyOk" BOOLEAN,
ADD COLUMN     "damagedChunkIds" BYTEA,
ADD COLUMN     "damagedChunks" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "health" "RestorePointHealth" NOT NULL DEFAULT 'pending',
ADD COLUMN     "verifiedAt" TIMESTAMP(3),
ADD COLUMN     "verifyDueAt" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "verifyGeneration" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "Alert" (
    "id" UUID NOT NULL,
    "studioId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "restorePointId" UUID,
    "details" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMP(3),
    "openKey" TEXT,

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Alert_studioId_createdAt_idx" ON "Alert"("studioId", "createdAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "Alert_studioId_openKey_key" ON "Alert"("studioId", "openKey");

-- CreateIndex
CREATE INDEX "Chunk_studioId_verifiedAt_idx" ON "Chunk"("studioId", "verifiedAt");

-- CreateIndex
CREATE INDEX "RestorePoint_verifyDueAt_idx" ON "RestorePoint"("verifyDueAt");

-- CreateIndex
CREATE INDEX "RestorePoint_studioId_health_createdAt_idx" ON "RestorePoint"("studioId", "health", "createdAt" DESC);

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_studioId_fkey" FOREIGN KEY ("studioId") REFERENCES "Studio"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_restorePointId_fkey" FOREIGN KEY ("restorePointId") REFERENCES "RestorePoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;

