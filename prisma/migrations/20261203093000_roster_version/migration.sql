-- AlterTable
ALTER TABLE "Account" ADD COLUMN     "rosterVer" TEXT;
