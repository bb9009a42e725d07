-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "revokedReason" TEXT,
ADD COLUMN     "tokenChallengeAt" TIMESTAMP(3);

