/**
 * Settings an admin may change while Parley runs (admin panel and `npm run admin -- set`). Each is validated by
 * the very zod rule that checks its environment variable at start-up and written into the live Config object,
 * which the code that uses it reads at the moment of use (next login, next socket, next idle timer).
 * A change lasts until the next restart: the environment stays the one source of truth for a start.
 */
import { configSchema, type Config } from '../app/config.js';
import { translateEn, type ServerTranslate } from '../../client/i18n/english.js';
import type { MessageKey } from '../../client/i18n/catalog/en.js';

export interface RuntimeSetting {
  name: RuntimeSettingName;
  value: string;
  /** What a change affects, for the panel and the CLI. */
  effect: string;
}

interface Definition {
  read(config: Config): number | boolean;
  write(config: Config, value: never): void;
  /** the catalog key of its effect (client/i18n/catalog/pages.*.ts): the panel says it in the page's language */
  effect: MessageKey;
}

const DEFINITIONS = {
  PARLEY_REGISTRATION: {
    read: (c) => c.xmpp.registration,
    write: (c, v: boolean) => void (c.xmpp.registration = v),
    effect: 'admin.effectRegistration',
  },
  PARLEY_MAX_SESSIONS: {
    read: (c) => c.limits.maxSessions,
    write: (c, v: number) => void (c.limits.maxSessions = v),
    effect: 'admin.effectMaxSessions',
  },
  PARLEY_LOGIN_ATTEMPTS: {
    read: (c) => c.limits.loginAttempts,
    write: (c, v: number) => void (c.limits.loginAttempts = v),
    effect: 'admin.effectLoginAttempts',
  },
  PARLEY_ACCOUNT_LOGIN_FAILURES: {
    read: (c) => c.limits.accountLoginFailures,
    write: (c, v: number) => void (c.limits.accountLoginFailures = v),
    effect: 'admin.effectAccountLoginFailures',
  },
  PARLEY_SOCKET_RATE: {
    read: (c) => c.limits.socketRate,
    write: (c, v: number) => void (c.limits.socketRate = v),
    effect: 'admin.effectSocketRate',
  },
  PARLEY_SOCKET_BURST: {
    read: (c) => c.limits.socketBurst,
    write: (c, v: number) => void (c.limits.socketBurst = v),
    effect: 'admin.effectSocketBurst',
  },
  PARLEY_AWAY_AFTER: {
    read: (c) => c.timers.awayAfterMs / 1000,
    write: (c, v: number) => void (c.timers.awayAfterMs = v * 1000),
    effect: 'admin.effectLastTabTimer',
  },
  PARLEY_IDLE_LOGOUT: {
    read: (c) => c.timers.idleLogoutMs / 1000,
    write: (c, v: number) => void (c.timers.idleLogoutMs = v * 1000),
    effect: 'admin.effectLastTabTimer',
  },
  PARLEY_UPLOAD_LIMIT_MB: {
    read: (c) => c.limits.uploadMb,
    write: (c, v: number) => void (c.limits.uploadMb = v),
    effect: 'admin.effectUploadLimit',
  },
} satisfies Record<string, Definition>;

export type RuntimeSettingName = keyof typeof DEFINITIONS;

export function isRuntimeSetting(name: string): name is RuntimeSettingName {
  return Object.hasOwn(DEFINITIONS, name);
}

/** The settings with their values; effects in English unless `t` says otherwise (the admin panel's language). */
export function listRuntimeSettings(config: Config, t: ServerTranslate = translateEn): RuntimeSetting[] {
  return (Object.keys(DEFINITIONS) as RuntimeSettingName[]).map((name) => ({
    name,
    value: String(DEFINITIONS[name].read(config)),
    effect: t((DEFINITIONS[name] as Definition).effect),
  }));
}

export type ChangeResult = { ok: true; setting: RuntimeSetting; previous: string } | { ok: false; error: string };

/** Validates `raw` like the environment variable would be and applies it to the live configuration. */
export function changeRuntimeSetting(config: Config, name: string, raw: string): ChangeResult {
  if (!isRuntimeSetting(name)) {
    return { ok: false, error: `${name} cannot be changed while Parley runs; these can: ${Object.keys(DEFINITIONS).join(', ')}` };
  }
  const value = raw.trim();
  if (value === '') return { ok: false, error: `${name} needs a value` };
  const parsed = configSchema.shape[name].safeParse(value);
  if (!parsed.success) return { ok: false, error: `${name}=${JSON.stringify(value)}: ${parsed.error.issues.map((i) => i.message).join('; ')}` };
  const def: Definition = DEFINITIONS[name];
  const previous = String(def.read(config));
  def.write(config, parsed.data as never);
  return { ok: true, previous, setting: listRuntimeSettings(config).find((s) => s.name === name)! };
}
