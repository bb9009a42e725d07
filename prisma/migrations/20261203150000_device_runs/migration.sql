-- CreateTable
CREATE TABLE "DeviceRun" (
    "deviceId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "studioId" UUID NOT NULL,
    "trigger" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),
    "result" TEXT,
    "errorCode" TEXT,
    "restorePointId" UUID,
    "files" INTEGER,
    "bytesRead" BIGINT,
    "bytesUploaded" BIGINT,
    "skipped" INTEGER,
    "receivedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DeviceRun_pkey" PRIMARY KEY ("deviceId","id")
);

-- CreateIndex
CREATE INDEX "DeviceRun_deviceId_startedAt_idx" ON "DeviceRun"("deviceId", "startedAt" DESC);

-- CreateIndex
CREATE INDEX "DeviceRun_startedAt_idx" ON "DeviceRun"("startedAt");

-- AddForeignKey
ALTER TABLE "DeviceRun" ADD CONSTRAINT "DeviceRun_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

