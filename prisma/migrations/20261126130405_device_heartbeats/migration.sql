-- CreateTable
CREATE TABLE "DeviceHeartbeat" (
    "deviceId" UUID NOT NULL,
    "studioId" UUID NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "agentVersion" TEXT NOT NULL,
    "os" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "nextRunAt" TIMESTAMP(3),
    "lastRunAt" TIMESTAMP(3),
    "lastResult" TEXT,
    "lastErrorCode" TEXT,
    "lastRestorePointId" UUID,
    "lastSuccessAt" TIMESTAMP(3),

    CONSTRAINT "DeviceHeartbeat_pkey" PRIMARY KEY ("deviceId")
);

-- CreateIndex
CREATE INDEX "DeviceHeartbeat_studioId_idx" ON "DeviceHeartbeat"("studioId");

-- AddForeignKey
ALTER TABLE "DeviceHeartbeat" ADD CONSTRAINT "DeviceHeartbeat_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

