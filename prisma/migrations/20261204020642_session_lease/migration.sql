-- CreateTable
CREATE TABLE "SessionLease" (
    "jid" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "epoch" BIGINT NOT NULL DEFAULT 1,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "acquiredAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SessionLease_pkey" PRIMARY KEY ("jid")
);

-- CreateTable
CREATE TABLE "ClusterNode" (
    "node" TEXT NOT NULL,
    "seenAt" TIMESTAMPTZ(3) NOT NULL,
    "redisOk" BOOLEAN,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ClusterNode_pkey" PRIMARY KEY ("node")
);

-- CreateIndex
CREATE INDEX "SessionLease_node_idx" ON "SessionLease"("node");

-- CreateIndex
CREATE INDEX "SessionLease_expiresAt_idx" ON "SessionLease"("expiresAt");
