/**
 * Configuration from environment variables (and an optional .env), validated once at start-up.
 * Every setting has a documented default (README "Configuration"); each bad value gets its own error line.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hostname } from 'node:os';
import { z } from 'zod';
import type { StanzaLimits } from '../xmpp/bounded-parser.js';
import type { RateSettings } from '../xmpp/stanza-rate.js';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const seconds = z.coerce.number().int().min(0).max(365 * 24 * 3600);

const domainList = z
  .string()
  .transform((s) => s.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[a-z0-9.-]+$|^\*$/, 'a domain name or *')));

/** Bare JIDs (user@domain), lower-cased: the admins. */
const jidList = z
  .string()
  .transform((s) => s.split(',').map((j) => j.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^@\s/]+@[a-z0-9.-]+$/, 'bare XMPP addresses (user@example.org), comma-separated')));

/** A shared secret sent as a Bearer token: long enough not to be guessed. */
const token = z.string().min(16, 'at least 16 characters');

/** `domain=xmpp://host:port` pairs: where to connect for a domain instead of DNS SRV (tests, split-horizon set-ups). */
const serviceMap = z
  .string()
  .transform((s, ctx) => {
    const map: Record<string, string> = {};
    for (const pair of s.split(',').map((p) => p.trim()).filter(Boolean)) {
      const m = /^([a-z0-9.-]+)=(xmpps?:\/\/[^\s,]+)$/i.exec(pair);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not domain=xmpp://host:port` });
        continue;
      }
      map[m[1]!.toLowerCase()] = m[2]!;
    }
    return map;
  });

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PARLEY_HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  PARLEY_PUBLIC_URL: z.string().url().optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
  PARLEY_DATA_DIR: z.string().default('./data'),
  PARLEY_SESSION_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  PARLEY_XMPP_DOMAINS: domainList.default(['*']),
  PARLEY_DEFAULT_DOMAIN: z.string().regex(/^[a-z0-9.-]+$/i).optional(),
  PARLEY_XMPP_SERVICES: serviceMap.default({}),
  PARLEY_XMPP_REQUIRE_TLS: bool.optional(),
  PARLEY_REGISTRATION: bool.default(false),
  /** Answer XEP-0092 software version queries ("Parley" and its version, never the OS). */
  PARLEY_XMPP_VERSION: bool.default(true),
  PARLEY_MAX_SESSIONS: z.coerce.number().int().min(1).default(10_000),
  PARLEY_LOGIN_ATTEMPTS: z.coerce.number().int().min(1).max(1_000_000).default(30),
  // Admission control (server/xmpp/login-gate.ts): XMPP logins in flight, and how many more may wait for a slot.
  PARLEY_LOGIN_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(32),
  PARLEY_LOGIN_QUEUE: z.coerce.number().int().min(0).max(1_000_000).default(256),
  PARLEY_RESTORE_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(32),
  PARLEY_ACCOUNT_LOGIN_FAILURES: z.coerce.number().int().min(1).max(1_000_000).default(10),
  PARLEY_DOMAIN_LOGIN_FAILURES: z.coerce.number().int().min(1).max(1_000_000).default(100),
  // What any XMPP server may send this process (README "Hostile XMPP servers"); Prosody's c2s_stanza_size_limit is 256 KiB.
  PARLEY_XMPP_STANZA_LIMIT: z.coerce.number().int().min(4096).max(64 * 2 ** 20).default(256 * 1024),
  PARLEY_XMPP_MAX_DEPTH: z.coerce.number().int().min(4).max(1000).default(32),
  PARLEY_XMPP_MAX_ATTRIBUTES: z.coerce.number().int().min(8).max(10_000).default(64),
  PARLEY_XMPP_MAX_ATTRIBUTE_SIZE: z.coerce.number().int().min(256).max(64 * 2 ** 20).default(16 * 1024),
  PARLEY_XMPP_MAX_TEXT: z.coerce.number().int().min(1024).max(64 * 2 ** 20).default(256 * 1024),
  PARLEY_XMPP_OVERSIZED_LIMIT: z.coerce.number().int().min(4096).max(256 * 2 ** 20).default(4 * 2 ** 20),
  PARLEY_XMPP_STANZA_RATE: z.coerce.number().min(1).max(1_000_000).default(200),
  PARLEY_XMPP_STANZA_BURST: z.coerce.number().int().min(1).max(10_000_000).default(5000),
  PARLEY_XMPP_ROOM_PRESENCE_RATE: z.coerce.number().min(1).max(1_000_000).default(2000),
  PARLEY_XMPP_ROOM_PRESENCE_BURST: z.coerce.number().int().min(1).max(10_000_000).default(20_000),
  PARLEY_XMPP_INBOUND_QUEUE: z.coerce.number().int().min(10).max(1_000_000).default(1000),
  PARLEY_XMPP_TIMEOUT: z.coerce.number().min(1).max(300).default(15),
  PARLEY_SOCKET_RATE: z.coerce.number().min(1).max(10_000).default(20),
  PARLEY_SOCKET_BURST: z.coerce.number().int().min(1).max(100_000).default(60),
  PARLEY_AWAY_AFTER: seconds.default(10),
  PARLEY_IDLE_LOGOUT: seconds.default(24 * 3600),
  PARLEY_HISTORY_BACKFILL_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  PARLEY_OMEMO_STALE_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  PARLEY_REMEMBER_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  PARLEY_UPLOAD_LIMIT_MB: z.coerce.number().min(0).default(20),
  PARLEY_TRUST_PROXY: z.string().default('loopback'),
  PARLEY_ADMINS: jidList.default([]),
  PARLEY_METRICS_TOKEN: token.optional(),
  PARLEY_ADMIN_TOKEN: token.optional(),
  /** This node's name in the cluster (leases, admin panel); default host:port, stable across restarts. */
  PARLEY_NODE_ID: z.string().regex(/^[A-Za-z0-9._:@-]{1,100}$/, 'letters, digits and . _ : @ - (at most 100)').optional(),
  /** Several nodes behind one URL: their socket.io adapter (README "Several nodes"). */
  PARLEY_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /** Seconds a session lease lasts without renewal: a dead node's sessions are taken over after about this long. */
  PARLEY_LEASE_TTL: z.coerce.number().min(1).max(600).default(6),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type RawConfig = z.output<typeof configSchema>;

export interface Config {
  env: RawConfig['NODE_ENV'];
  host: string;
  port: number;
  /** Origin the browsers use; also the only Origin accepted on socket.io. */
  publicUrl: URL;
  databaseUrl: string | undefined;
  dataDir: string;
  sessionSecret: string;
  xmpp: {
    allowedDomains: string[] | '*';
    defaultDomain: string | null;
    services: Record<string, string>;
    requireTls: boolean | undefined;
    registration: boolean;
    backfillDays: number;
    omemoStaleDays: number;
    /** Answer (and advertise) XEP-0092 software version. */
    answerVersion: boolean;
    /** Bounds on what XMPP servers may send, per connection and per account; the login timeout. */
    guards: { limits: StanzaLimits; stanzaRate: RateSettings; roomPresenceRate: RateSettings; inboundQueue: number; timeoutMs: number };
  };
  limits: {
    maxSessions: number; uploadMb: number; socketRate: number; socketBurst: number; loginAttempts: number; accountLoginFailures: number; domainLoginFailures: number;
    /** XMPP logins in flight, and waiting for a slot; past both a login is answered "busy" (503). */
    loginConcurrency: number; loginQueue: number;
    /** Sessions restored side by side at start-up. */
    restoreConcurrency: number;
  };
  timers: { awayAfterMs: number; idleLogoutMs: number; rememberMs: number };
  trustProxy: string;
  admins: string[];
  /** Bearer token for /metrics; null: loopback only. */
  metricsToken: string | null;
  /** Bearer token for the loopback admin API (`npm run admin`); null: generated into the data dir. */
  adminToken: string | null;
  logLevel: RawConfig['LOG_LEVEL'];
  cluster: { nodeId: string; redisUrl: string | null; leaseTtlMs: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses the environment; throws ConfigError listing every bad variable with what is expected. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}=${JSON.stringify(env[String(i.path[0])] ?? '')}: ${i.message}`));
  }
  const c = parsed.data;
  const dataDir = path.resolve(c.PARLEY_DATA_DIR);
  const publicUrl = new URL(c.PARLEY_PUBLIC_URL ?? `http://${c.PARLEY_HOST === '0.0.0.0' ? 'localhost' : c.PARLEY_HOST}:${c.PORT}`);
  return {
    env: c.NODE_ENV,
    host: c.PARLEY_HOST,
    port: c.PORT,
    publicUrl,
    databaseUrl: c.DATABASE_URL,
    dataDir,
    sessionSecret: c.PARLEY_SESSION_SECRET ?? persistedSecret(dataDir),
    xmpp: {
      allowedDomains: c.PARLEY_XMPP_DOMAINS.includes('*') ? '*' : c.PARLEY_XMPP_DOMAINS,
      defaultDomain: c.PARLEY_DEFAULT_DOMAIN?.toLowerCase() ?? null,
      services: c.PARLEY_XMPP_SERVICES,
      requireTls: c.PARLEY_XMPP_REQUIRE_TLS,
      registration: c.PARLEY_REGISTRATION,
      backfillDays: c.PARLEY_HISTORY_BACKFILL_DAYS,
      omemoStaleDays: c.PARLEY_OMEMO_STALE_DAYS,
      answerVersion: c.PARLEY_XMPP_VERSION,
      guards: {
        limits: {
          maxBytes: c.PARLEY_XMPP_STANZA_LIMIT,
          maxDepth: c.PARLEY_XMPP_MAX_DEPTH,
          maxAttributes: c.PARLEY_XMPP_MAX_ATTRIBUTES,
          maxAttributeBytes: c.PARLEY_XMPP_MAX_ATTRIBUTE_SIZE,
          maxTextBytes: c.PARLEY_XMPP_MAX_TEXT,
          maxSkippedBytes: Math.max(c.PARLEY_XMPP_OVERSIZED_LIMIT, c.PARLEY_XMPP_STANZA_LIMIT),
        },
        stanzaRate: { perSecond: c.PARLEY_XMPP_STANZA_RATE, burst: c.PARLEY_XMPP_STANZA_BURST },
        roomPresenceRate: { perSecond: c.PARLEY_XMPP_ROOM_PRESENCE_RATE, burst: c.PARLEY_XMPP_ROOM_PRESENCE_BURST },
        inboundQueue: c.PARLEY_XMPP_INBOUND_QUEUE,
        timeoutMs: c.PARLEY_XMPP_TIMEOUT * 1000,
      },
    },
    limits: {
      maxSessions: c.PARLEY_MAX_SESSIONS,
      uploadMb: c.PARLEY_UPLOAD_LIMIT_MB,
      socketRate: c.PARLEY_SOCKET_RATE,
      socketBurst: c.PARLEY_SOCKET_BURST,
      loginAttempts: c.PARLEY_LOGIN_ATTEMPTS,
      accountLoginFailures: c.PARLEY_ACCOUNT_LOGIN_FAILURES,
      domainLoginFailures: c.PARLEY_DOMAIN_LOGIN_FAILURES,
      loginConcurrency: c.PARLEY_LOGIN_CONCURRENCY,
      loginQueue: c.PARLEY_LOGIN_QUEUE,
      restoreConcurrency: c.PARLEY_RESTORE_CONCURRENCY,
    },
    timers: {
      awayAfterMs: c.PARLEY_AWAY_AFTER * 1000,
      idleLogoutMs: c.PARLEY_IDLE_LOGOUT * 1000,
      rememberMs: c.PARLEY_REMEMBER_DAYS * 24 * 3600 * 1000,
    },
    trustProxy: c.PARLEY_TRUST_PROXY,
    admins: c.PARLEY_ADMINS,
    metricsToken: c.PARLEY_METRICS_TOKEN ?? null,
    adminToken: c.PARLEY_ADMIN_TOKEN ?? null,
    logLevel: c.LOG_LEVEL,
    cluster: { nodeId: c.PARLEY_NODE_ID ?? `${hostname()}:${c.PORT || randomBytes(4).toString('hex')}`, redisUrl: c.PARLEY_REDIS_URL ?? null, leaseTtlMs: Math.round(c.PARLEY_LEASE_TTL * 1000) },
  };
}

/** A random secret created on first start and kept in the data dir (mode 0600), so restarts keep sessions valid. */
function persistedSecret(dataDir: string): string {
  const file = path.join(dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}
