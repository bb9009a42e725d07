-- AlterTable
ALTER TABLE "RestorePoint" ADD COLUMN     "skipped" INTEGER NOT NULL DEFAULT 0;

