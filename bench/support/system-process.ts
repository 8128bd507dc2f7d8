import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BENCH_PORTS = { proxy: 18080, incidents: 18081, clients: 18082, orders: 18083, legacy: 18090, idp: 18180 };

/**
 * The system as production runs it (compiled, its own process, real PostgreSQL), so the load
 * generator in this process does not share the server's event loop.
 */
export async function startSystemProcess(databaseUrl: string, extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      DATA_DIR: await mkdtemp(join(tmpdir(), 'figdesk-bench-')),
      PROXY_PORT: String(BENCH_PORTS.proxy),
      INCIDENTS_PORT: String(BENCH_PORTS.incidents),
      CLIENTS_PORT: String(BENCH_PORTS.clients),
      ORDERS_PORT: String(BENCH_PORTS.orders),
      LEGACY_CRM_PORT: String(BENCH_PORTS.legacy),
      DEV_IDP_PORT: String(BENCH_PORTS.idp),
      EMBEDDED_PG_PORT: '0',
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the system exited with ${child.exitCode}`);
    const ready = await fetch(`http://127.0.0.1:${BENCH_PORTS.proxy}/health/ready`).then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error('the system did not become ready within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A fresh access token for a demo user from the development identity provider. */
export async function tokenFor(username: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${BENCH_PORTS.idp}/realms/helpdesk/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'helpdesk-cli', username, password: username }),
  });
  if (!response.ok) throw new Error(`token request answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/**
 * One service in a process of its own (`node dist/src/service.js <name>`), as docker-compose runs
 * it, using the identity provider of a system started with startSystemProcess.
 */
export async function startServiceProcess(name: string, port: number, env: Record<string, string>): Promise<{ child: ChildProcess; url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['dist/src/service.js', name], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      KEYCLOAK_URL: `http://127.0.0.1:${BENCH_PORTS.idp}`,
      KEYCLOAK_ISSUER: `http://127.0.0.1:${BENCH_PORTS.idp}/realms/helpdesk`,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if (await fetch(`${url}/health/ready`).then((response) => response.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`${name} did not become ready within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    child,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
