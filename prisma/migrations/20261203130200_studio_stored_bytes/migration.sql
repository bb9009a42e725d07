-- The storage a studio uses, as a counter (issue 19: the support summary reads it, never a sum
-- over its chunks at read time). Maintained by statement-level triggers with transition tables on
-- every insert, delete and size change of Chunk rows, whatever statement makes them: one UPDATE of
-- each affected studio per statement (a pack of 1,000 chunks is one statement, one update).
ALTER TABLE "Studio" ADD COLUMN "storedBytes" BIGINT NOT NULL DEFAULT 0;

UPDATE "Studio" s SET "storedBytes" = t.bytes
FROM (SELECT "studioId", sum(size)::bigint AS bytes FROM "Chunk" GROUP BY "studioId") t
WHERE t."studioId" = s.id;

CREATE FUNCTION "chunk_stored_bytes_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Studio" s SET "storedBytes" = s."storedBytes" + d.bytes
  FROM (SELECT "studioId", sum(size)::bigint AS bytes FROM new_rows GROUP BY "studioId") d
  WHERE d."studioId" = s.id;
  RETURN NULL;
END;
$$;
CREATE FUNCTION "chunk_stored_bytes_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Studio" s SET "storedBytes" = s."storedBytes" - d.bytes
  FROM (SELECT "studioId", sum(size)::bigint AS bytes FROM old_rows GROUP BY "studioId") d
  WHERE d."studioId" = s.id;
  RETURN NULL;
END;
$$;
CREATE FUNCTION "chunk_stored_bytes_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Studio" s SET "storedBytes" = s."storedBytes" + d.bytes
  FROM (
    SELECT "studioId", sum(bytes)::bigint AS bytes FROM (
      SELECT "studioId", size::bigint AS bytes FROM new_rows
      UNION ALL
      SELECT "studioId", -size::bigint FROM old_rows
    ) u GROUP BY "studioId"
  ) d
  WHERE d."studioId" = s.id AND d.bytes <> 0;
  RETURN NULL;
END;
$$;
CREATE TRIGGER "Chunk_stored_bytes_insert" AFTER INSERT ON "Chunk"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "chunk_stored_bytes_insert"();
CREATE TRIGGER "Chunk_stored_bytes_delete" AFTER DELETE ON "Chunk"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "chunk_stored_bytes_delete"();
CREATE TRIGGER "Chunk_stored_bytes_update" AFTER UPDATE ON "Chunk"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "chunk_stored_bytes_update"();
