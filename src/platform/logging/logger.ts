import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One JSON logger per process; services derive children named after themselves.
 * Lines are written asynchronously in batches of up to 4 KiB, flushed at least every
 * 250 ms and on exit: a write per line costs a system call, which under load costs more
 * than the request it describes.
 */
export function createLogger(level: string, name = 'figdesk'): Logger {
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      // Tokens and secrets never reach the log, whatever a child logs.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.client_secret'], censor: '[redacted]' },
    },
    pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 } as Parameters<typeof pino.destination>[0]),
  );
}
