/** The effective configuration as the admin page shows it: every variable, secrets reduced to "set" / "generated". */
import type { Config } from '../app/config.js';

export interface Setting {
  name: string;
  value: string;
}

export function describeSettings(config: Config, env: NodeJS.ProcessEnv = process.env): Setting[] {
  const x = config.xmpp;
  const secret = (name: string) => (env[name] ? 'set' : 'generated in the data directory');
  return [
    { name: 'NODE_ENV', value: config.env },
    { name: 'PARLEY_HOST / PORT', value: `${config.host}:${config.port}` },
    { name: 'PARLEY_PUBLIC_URL', value: config.publicUrl.href },
    { name: 'DATABASE_URL', value: config.databaseUrl ? withoutPassword(config.databaseUrl) : 'embedded PostgreSQL' },
    { name: 'PARLEY_DATA_DIR', value: config.dataDir },
    { name: 'PARLEY_SESSION_SECRET', value: secret('PARLEY_SESSION_SECRET') },
    { name: 'PARLEY_XMPP_DOMAINS', value: x.allowedDomains === '*' ? '*' : x.allowedDomains.join(', ') },
    { name: 'PARLEY_DEFAULT_DOMAIN', value: x.defaultDomain ?? '—' },
    { name: 'PARLEY_XMPP_SERVICES', value: Object.entries(x.services).map(([d, s]) => `${d}=${s}`).join(', ') || '— (DNS SRV)' },
    { name: 'PARLEY_XMPP_REQUIRE_TLS', value: x.requireTls === undefined ? 'true except loopback' : String(x.requireTls) },
    { name: 'PARLEY_REGISTRATION', value: String(x.registration) },
    { name: 'PARLEY_MAX_SESSIONS', value: String(config.limits.maxSessions) },
    { name: 'PARLEY_NODE_ID', value: config.cluster.nodeId },
    { name: 'PARLEY_REDIS_URL', value: config.cluster.redisUrl ? withoutPassword(config.cluster.redisUrl) : '— (a single node)' },
    { name: 'PARLEY_LEASE_TTL', value: `${config.cluster.leaseTtlMs / 1000} s` },
    { name: 'PARLEY_SOCKET_RATE / PARLEY_SOCKET_BURST', value: `${config.limits.socketRate} / ${config.limits.socketBurst}` },
    { name: 'PARLEY_AWAY_AFTER', value: `${config.timers.awayAfterMs / 1000} s` },
    { name: 'PARLEY_IDLE_LOGOUT', value: `${config.timers.idleLogoutMs / 1000} s` },
    { name: 'PARLEY_REMEMBER_DAYS', value: String(config.timers.rememberMs / 86_400_000) },
    { name: 'PARLEY_HISTORY_BACKFILL_DAYS', value: String(x.backfillDays) },
    { name: 'PARLEY_OMEMO_STALE_DAYS', value: String(x.omemoStaleDays) },
    { name: 'PARLEY_UPLOAD_LIMIT_MB', value: String(config.limits.uploadMb) },
    { name: 'PARLEY_TRUST_PROXY', value: config.trustProxy },
    { name: 'PARLEY_ADMINS', value: config.admins.join(', ') || '—' },
    { name: 'PARLEY_METRICS_TOKEN', value: config.metricsToken ? 'set' : 'not set: /metrics only from this machine' },
    { name: 'PARLEY_ADMIN_TOKEN', value: config.adminToken ? 'set' : 'generated in the data directory (admin-token)' },
    { name: 'LOG_LEVEL', value: config.logLevel },
  ];
}

export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(unparsable URL)';
  }
}
