-- Trusted extensions (PostgreSQL 13+): the database owner may create them. They back the message search index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- CreateTable
CREATE TABLE "ConversationMute" (
    "accountId" BIGINT NOT NULL,
    "peer" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConversationMute_pkey" PRIMARY KEY ("accountId","peer")
);

-- CreateIndex
CREATE INDEX "Message_search_idx" ON "Message" USING GIN ("accountId" int8_ops, "body" gin_trgm_ops);

-- AddForeignKey
ALTER TABLE "ConversationMute" ADD CONSTRAINT "ConversationMute_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
