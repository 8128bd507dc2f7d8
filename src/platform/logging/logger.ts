import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON logger per process; services derive children named after themselves. */
export function createLogger(level: string, name = 'figdesk'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    // Tokens and secrets never reach the log, whatever a child logs.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.client_secret'], censor: '[redacted]' },
  });
}
