-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "replyFallbackEnd" INTEGER,
ADD COLUMN     "replyFallbackStart" INTEGER,
ADD COLUMN     "replyToId" TEXT,
ADD COLUMN     "replyToJid" TEXT;

-- CreateTable
CREATE TABLE "Reaction" (
    "messageId" BIGINT NOT NULL,
    "reactor" TEXT NOT NULL,
    "emojis" TEXT[],
    "stamp" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Reaction_pkey" PRIMARY KEY ("messageId","reactor")
);

-- AddForeignKey
ALTER TABLE "Reaction" ADD CONSTRAINT "Reaction_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;
