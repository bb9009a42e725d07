-- Operator alerts (issue 22): an alert and its messages may belong to no studio (a job failing,
-- storage errors, the scrub behind), the outcome of each kind of background job is kept in
-- Postgres for them, alerts can be snoozed, and owners can opt out of the daily digest.
-- AlterTable
ALTER TABLE "Alert" ADD COLUMN     "snoozedUntil" TIMESTAMP(3),
ALTER COLUMN "studioId" DROP NOT NULL;

-- AlterTable
ALTER TABLE "AlertDelivery" ALTER COLUMN "studioId" DROP NOT NULL;

-- AlterTable
ALTER TABLE "AlertSettings" ADD COLUMN     "digestOptOut" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "JobOutcome" (
    "name" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "lastSuccessAt" TIMESTAMP(3),
    "lastFailureAt" TIMESTAMP(3),
    "failures" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "storageCode" TEXT,

    CONSTRAINT "JobOutcome_pkey" PRIMARY KEY ("name","scope")
);

-- CreateIndex
CREATE INDEX "JobOutcome_lastFailureAt_idx" ON "JobOutcome"("lastFailureAt");


-- An operator alert has no studio, and NULLs are distinct in "Alert_studioId_openKey_key": this
-- index keeps "at most one open alert per subject" for them (INSERT .. ON CONFLICT DO NOTHING
-- honours every unique index). Not expressible in schema.prisma.
CREATE UNIQUE INDEX "Alert_operator_openKey_key" ON "Alert"("openKey") WHERE "studioId" IS NULL;
