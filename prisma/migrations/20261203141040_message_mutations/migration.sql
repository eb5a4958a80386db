-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "correctionId" TEXT,
ADD COLUMN     "editedAt" TIMESTAMPTZ(3),
ADD COLUMN     "retractedAt" TIMESTAMPTZ(3),
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "MessageVersion" (
    "id" BIGSERIAL NOT NULL,
    "messageId" BIGINT NOT NULL,
    "version" INTEGER NOT NULL,
    "body" TEXT,
    "encrypted" TEXT,
    "sourceId" TEXT,
    "stamp" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MessageVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeletedMessage" (
    "id" BIGSERIAL NOT NULL,
    "accountId" BIGINT NOT NULL,
    "peer" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "stanzaId" TEXT,
    "originId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeletedMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeletedConversation" (
    "accountId" BIGINT NOT NULL,
    "peer" TEXT NOT NULL,
    "before" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "DeletedConversation_pkey" PRIMARY KEY ("accountId","peer")
);

-- CreateIndex
CREATE INDEX "MessageVersion_messageId_sourceId_idx" ON "MessageVersion"("messageId", "sourceId");

-- CreateIndex
CREATE UNIQUE INDEX "MessageVersion_messageId_version_key" ON "MessageVersion"("messageId", "version");

-- CreateIndex
CREATE INDEX "DeletedMessage_accountId_stanzaId_idx" ON "DeletedMessage"("accountId", "stanzaId");

-- CreateIndex
CREATE INDEX "DeletedMessage_accountId_peer_originId_idx" ON "DeletedMessage"("accountId", "peer", "originId");

-- AddForeignKey
ALTER TABLE "MessageVersion" ADD CONSTRAINT "MessageVersion_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeletedMessage" ADD CONSTRAINT "DeletedMessage_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeletedConversation" ADD CONSTRAINT "DeletedConversation_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
