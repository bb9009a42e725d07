-- Quotas and usage (issue 20; services/quota.ts, services/usage.ts, docs/quotas-and-usage.md).
-- Studio.quotaBytes: null is no limit (every existing studio keeps none; new ones get the
-- operator's DEFAULT_QUOTA_GB). Studio.uploadedBytes: the bytes of every pack object stored for
-- the studio, ever, kept by the statement-level triggers below (like storedBytes on Chunk), so a
-- day's uploads are the difference between two daily rows and no time is read from the database.
-- AlterTable
ALTER TABLE "Studio" ADD COLUMN     "quotaBytes" BIGINT,
ADD COLUMN     "uploadedBytes" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "StudioUsageDay" (
    "studioId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "storedBytes" BIGINT NOT NULL,
    "quotaBytes" BIGINT,
    "chunks" INTEGER NOT NULL,
    "restorePoints" INTEGER NOT NULL,
    "uploadedBytes" BIGINT NOT NULL,
    "uploadedTotal" BIGINT NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StudioUsageDay_pkey" PRIMARY KEY ("studioId","day")
);

-- CreateIndex
CREATE INDEX "StudioUsageDay_day_idx" ON "StudioUsageDay"("day");

-- AddForeignKey
ALTER TABLE "StudioUsageDay" ADD CONSTRAINT "StudioUsageDay_studioId_fkey" FOREIGN KEY ("studioId") REFERENCES "Studio"("id") ON DELETE CASCADE ON UPDATE CASCADE;


UPDATE "Studio" s SET "uploadedBytes" = t.bytes
FROM (SELECT "studioId", sum(size)::bigint AS bytes FROM "Upload" WHERE state = 'stored' GROUP BY "studioId") t
WHERE t."studioId" = s.id;

-- A relayed pack's record is inserted `stored`; a direct one moves granted -> stored when reported.
CREATE FUNCTION "upload_bytes_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Studio" s SET "uploadedBytes" = s."uploadedBytes" + d.bytes
  FROM (SELECT "studioId", sum(size)::bigint AS bytes FROM new_rows WHERE state = 'stored' GROUP BY "studioId") d
  WHERE d."studioId" = s.id;
  RETURN NULL;
END;
$$;
CREATE FUNCTION "upload_bytes_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Studio" s SET "uploadedBytes" = s."uploadedBytes" + d.bytes
  FROM (
    SELECT n."studioId", sum(n.size)::bigint AS bytes
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.state = 'stored' AND o.state <> 'stored'
    GROUP BY n."studioId"
  ) d
  WHERE d."studioId" = s.id;
  RETURN NULL;
END;
$$;
CREATE TRIGGER "Upload_bytes_insert" AFTER INSERT ON "Upload"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "upload_bytes_insert"();
CREATE TRIGGER "Upload_bytes_update" AFTER UPDATE ON "Upload"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "upload_bytes_update"();
