-- CreateTable
CREATE TABLE "Room" (
    "accountId" BIGINT NOT NULL,
    "jid" TEXT NOT NULL,
    "nick" TEXT NOT NULL,
    "name" TEXT,
    "subject" TEXT,
    "subjectBy" TEXT,
    "joined" BOOLEAN NOT NULL DEFAULT true,
    "bookmarked" BOOLEAN NOT NULL DEFAULT false,
    "autojoin" BOOLEAN NOT NULL DEFAULT false,
    "lastError" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Room_pkey" PRIMARY KEY ("accountId","jid")
);

-- AddForeignKey
ALTER TABLE "Room" ADD CONSTRAINT "Room_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
