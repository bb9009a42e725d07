-- CreateEnum
CREATE TYPE "UploadState" AS ENUM ('granted', 'stored', 'dead');

-- AlterTable
ALTER TABLE "RestorePoint" ADD COLUMN     "repairUnconfirmedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "Upload" (
    "id" UUID NOT NULL,
    "objectKey" TEXT NOT NULL,
    "studioId" UUID NOT NULL,
    "deviceId" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "size" INTEGER NOT NULL,
    "sha256" BYTEA NOT NULL,
    "tableSha256" BYTEA NOT NULL,
    "state" "UploadState" NOT NULL,
    "expiresAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "storedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Upload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Upload_objectKey_key" ON "Upload"("objectKey");

-- CreateIndex
CREATE INDEX "Upload_studioId_state_idx" ON "Upload"("studioId", "state");

-- CreateIndex
CREATE INDEX "Upload_expiresAt_idx" ON "Upload"("expiresAt");

-- CreateIndex
CREATE INDEX "Upload_studioId_sessionId_idx" ON "Upload"("studioId", "sessionId");

-- AddForeignKey
ALTER TABLE "Upload" ADD CONSTRAINT "Upload_studioId_fkey" FOREIGN KEY ("studioId") REFERENCES "Studio"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Upload" ADD CONSTRAINT "Upload_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

