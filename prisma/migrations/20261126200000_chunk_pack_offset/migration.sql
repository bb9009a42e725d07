-- AlterTable: chunks inside pack objects (services/packs.ts)
ALTER TABLE "Chunk" ADD COLUMN "offset" INTEGER;
