-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "claimedStamp" TIMESTAMPTZ(3);
