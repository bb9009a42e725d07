-- AlterTable
ALTER TABLE "Studio" ADD COLUMN     "retentionAppliedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "RestorePoint" ADD COLUMN     "deleteReason" TEXT,
ADD COLUMN     "deletedAt" TIMESTAMP(3),
ADD COLUMN     "deletedBy" TEXT,
ADD COLUMN     "heldAt" TIMESTAMP(3),
ADD COLUMN     "heldBy" TEXT,
ADD COLUMN     "newBytes" BIGINT,
ADD COLUMN     "referencedBytes" BIGINT;

-- CreateTable
CREATE TABLE "RetentionPolicy" (
    "studioId" UUID NOT NULL,
    "keepWithinDays" INTEGER NOT NULL,
    "dailyDays" INTEGER NOT NULL,
    "weeklyWeeks" INTEGER NOT NULL,
    "monthlyMonths" INTEGER NOT NULL,
    "labelledDays" INTEGER NOT NULL,
    "labelledPerWeek" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "updatedBy" TEXT NOT NULL,

    CONSTRAINT "RetentionPolicy_pkey" PRIMARY KEY ("studioId")
);

-- CreateTable
CREATE TABLE "RetentionSignal" (
    "id" UUID NOT NULL,
    "studioId" UUID NOT NULL,
    "deviceId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "since" TIMESTAMP(3) NOT NULL,
    "openedAt" TIMESTAMP(3) NOT NULL,
    "details" JSONB NOT NULL,
    "restorePointId" UUID,
    "closedAt" TIMESTAMP(3),
    "closedBy" TEXT,
    "closeNote" TEXT,

    CONSTRAINT "RetentionSignal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RetentionEvent" (
    "id" BIGSERIAL NOT NULL,
    "studioId" UUID NOT NULL,
    "restorePointId" UUID NOT NULL,
    "deviceId" UUID NOT NULL,
    "pointCreatedAt" TIMESTAMP(3) NOT NULL,
    "label" TEXT,
    "at" TIMESTAMP(3) NOT NULL,
    "action" TEXT NOT NULL,
    "by" TEXT NOT NULL,
    "reason" TEXT,

    CONSTRAINT "RetentionEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RetentionSignal_studioId_closedAt_idx" ON "RetentionSignal"("studioId", "closedAt");

-- CreateIndex
CREATE UNIQUE INDEX "RetentionSignal_studioId_deviceId_kind_since_key" ON "RetentionSignal"("studioId", "deviceId", "kind", "since");

-- CreateIndex
CREATE INDEX "RetentionEvent_studioId_at_idx" ON "RetentionEvent"("studioId", "at" DESC);

-- CreateIndex
CREATE INDEX "RestorePoint_deletedAt_idx" ON "RestorePoint"("deletedAt");

-- AddForeignKey
ALTER TABLE "RetentionPolicy" ADD CONSTRAINT "RetentionPolicy_studioId_fkey" FOREIGN KEY ("studioId") REFERENCES "Studio"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RetentionSignal" ADD CONSTRAINT "RetentionSignal_studioId_fkey" FOREIGN KEY ("studioId") REFERENCES "Studio"("id") ON DELETE CASCADE ON UPDATE CASCADE;

