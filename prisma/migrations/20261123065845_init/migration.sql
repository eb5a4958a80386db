-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Account" (
    "id" BIGSERIAL NOT NULL,
    "jid" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastLoginAt" TIMESTAMPTZ(3),
    "credential" BYTEA,
    "credentialUpdatedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BrowserSession" (
    "sid" TEXT NOT NULL,
    "accountId" BIGINT,
    "data" JSONB NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BrowserSession_pkey" PRIMARY KEY ("sid")
);

-- CreateTable
CREATE TABLE "Contact" (
    "accountId" BIGINT NOT NULL,
    "jid" TEXT NOT NULL,
    "name" TEXT,
    "subscription" TEXT NOT NULL DEFAULT 'none',
    "ask" BOOLEAN NOT NULL DEFAULT false,
    "groups" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Contact_pkey" PRIMARY KEY ("accountId","jid")
);

-- CreateTable
CREATE TABLE "Message" (
    "id" BIGSERIAL NOT NULL,
    "accountId" BIGINT NOT NULL,
    "peer" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "fromJid" TEXT NOT NULL,
    "toJid" TEXT NOT NULL,
    "type" TEXT NOT NULL DEFAULT 'chat',
    "body" TEXT,
    "encrypted" TEXT,
    "messageId" TEXT,
    "originId" TEXT,
    "stanzaId" TEXT,
    "stamp" TIMESTAMPTZ(3) NOT NULL,
    "state" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OmemoDevice" (
    "accountId" BIGINT NOT NULL,
    "deviceId" INTEGER NOT NULL,
    "lastSeen" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OmemoDevice_pkey" PRIMARY KEY ("accountId","deviceId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Account_jid_key" ON "Account"("jid");

-- CreateIndex
CREATE INDEX "BrowserSession_expiresAt_idx" ON "BrowserSession"("expiresAt");

-- CreateIndex
CREATE INDEX "BrowserSession_accountId_idx" ON "BrowserSession"("accountId");

-- CreateIndex
CREATE INDEX "Message_accountId_peer_stamp_id_idx" ON "Message"("accountId", "peer", "stamp" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Message_accountId_peer_messageId_idx" ON "Message"("accountId", "peer", "messageId");

-- CreateIndex
CREATE INDEX "Message_accountId_state_peer_idx" ON "Message"("accountId", "state", "peer");

-- CreateIndex
CREATE INDEX "Message_accountId_stamp_id_idx" ON "Message"("accountId", "stamp" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "Message_accountId_stanzaId_key" ON "Message"("accountId", "stanzaId");

-- CreateIndex
CREATE UNIQUE INDEX "Message_accountId_peer_originId_direction_key" ON "Message"("accountId", "peer", "originId", "direction");

-- AddForeignKey
ALTER TABLE "BrowserSession" ADD CONSTRAINT "BrowserSession_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Contact" ADD CONSTRAINT "Contact_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OmemoDevice" ADD CONSTRAINT "OmemoDevice_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
