import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';

export interface PrivateRedis {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Whether `redis-server` can be started here (Debian's redis-server package). */
export const redisServerInstalled = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => socket.end(() => resolve(true))).once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });

/** A Redis of the test's own on a free loopback port, without persistence; it can be stopped or frozen. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) break;
    if (await answers(port)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        process: child,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGKILL');
          await once(child, 'exit');
        },
      };
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

/**
 * Redis for a test file: REDIS_URL when set (CI); else a private redis-server when one is
 * installed; else undefined, and the caller skips saying why. REQUIRE_SERVICES=1 turns a
 * missing REDIS_URL into an error.
 */
export async function redisForTests(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  const url = configuredRedisUrl();
  if (url) return { url, stop: async () => undefined };
  return redisServerInstalled() ? startPrivateRedis() : undefined;
}

/** REDIS_URL (CI always sets it); with REQUIRE_SERVICES=1 its absence is an error, not a fallback. */
export function configuredRedisUrl(): string | undefined {
  const url = process.env.REDIS_URL;
  if (!url && process.env.REQUIRE_SERVICES === '1') throw new Error('REQUIRE_SERVICES=1 but REDIS_URL is not set: start Redis and set REDIS_URL (e.g. redis://127.0.0.1:6379)');
  return url;
}
