-- Repack (issue 20; services/gc/repack.ts, docs/garbage-collection.md): the collector rewrites a
-- mostly-dead pack with its live chunks only. The new object gets an Upload row (so a repack
-- killed before its switch leaves a recorded object, collected like any pack no chunk names) with
-- "repackOf" set: it is not an upload, so Studio.uploadedBytes (billing's daily uploads) must not
-- count it. Studio.storedBytes needs nothing: the switch changes chunk rows' objectKey and offset,
-- never their size.
ALTER TABLE "Upload" ADD COLUMN "repackOf" TEXT;

CREATE OR REPLACE FUNCTION "upload_bytes_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Studio" s SET "uploadedBytes" = s."uploadedBytes" + d.bytes
  FROM (SELECT "studioId", sum(size)::bigint AS bytes FROM new_rows WHERE state = 'stored' AND "repackOf" IS NULL GROUP BY "studioId") d
  WHERE d."studioId" = s.id;
  RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION "upload_bytes_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Studio" s SET "uploadedBytes" = s."uploadedBytes" + d.bytes
  FROM (
    SELECT n."studioId", sum(n.size)::bigint AS bytes
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.state = 'stored' AND o.state <> 'stored' AND n."repackOf" IS NULL
    GROUP BY n."studioId"
  ) d
  WHERE d."studioId" = s.id;
  RETURN NULL;
END;
$$;
