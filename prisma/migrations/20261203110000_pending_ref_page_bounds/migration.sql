-- CreateIndex
CREATE INDEX "PendingRefPage_deviceId_idx" ON "PendingRefPage"("deviceId");

-- CreateIndex
CREATE INDEX "PendingRefPage_createdAt_idx" ON "PendingRefPage"("createdAt");

