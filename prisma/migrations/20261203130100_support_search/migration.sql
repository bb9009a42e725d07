-- Hand-written (Prisma's schema cannot express trigram indexes): support's search for a studio by
-- any part of its name, owner e-mail, id or device name (server/services/support-search.ts), a
-- case-insensitive substring match (ILIKE '%q%'). A B-tree cannot serve a pattern with a leading
-- wildcard; a trigram GIN index can, for patterns of 3 characters or more.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "Studio_name_trgm_idx" ON "Studio" USING gin ("name" gin_trgm_ops);
CREATE INDEX "Studio_ownerEmail_trgm_idx" ON "Studio" USING gin ("ownerEmail" gin_trgm_ops);
CREATE INDEX "Studio_id_trgm_idx" ON "Studio" USING gin (("id"::text) gin_trgm_ops);
CREATE INDEX "User_email_trgm_idx" ON "User" USING gin ("email" gin_trgm_ops);
CREATE INDEX "Device_name_trgm_idx" ON "Device" USING gin ("name" gin_trgm_ops);
