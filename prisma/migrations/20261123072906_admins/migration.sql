-- AlterTable
ALTER TABLE "Account" ADD COLUMN     "isAdmin" BOOLEAN NOT NULL DEFAULT false;
