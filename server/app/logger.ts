/** Structured JSON logs (pino). Never log message bodies, passwords or keys: redact the usual suspects. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: 'parley' },
    redact: { paths: ['password', '*.password', 'body', '*.body', 'req.headers.cookie', 'secret', '*.secret'], censor: '[redacted]' },
  });
}
