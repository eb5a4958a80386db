-- DropIndex
DROP INDEX "Message_accountId_peer_originId_direction_key";

-- DropIndex
DROP INDEX "Message_accountId_stanzaId_key";

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "mentionsMe" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "moderatedAt" TIMESTAMPTZ(3),
ADD COLUMN     "moderatedBy" TEXT,
ADD COLUMN     "moderationReason" TEXT,
ADD COLUMN     "nick" TEXT,
ADD COLUMN     "occupantId" TEXT,
ADD COLUMN     "originSender" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "senderJid" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Message_accountId_peer_stanzaId_key" ON "Message"("accountId", "peer", "stanzaId");

-- CreateIndex
CREATE UNIQUE INDEX "Message_accountId_peer_originId_direction_originSender_key" ON "Message"("accountId", "peer", "originId", "direction", "originSender");
