// npm run bench:proxy — the migration proxy against baselines measured in the same run:
//  1. pass-through GET /api/v1/clients/:id of a migrated record through the edge (token check and
//     metrics included) next to the clients service called directly, nginx proxy_pass with
//     upstream keep-alive (the practical ceiling), and a naive Express + http-proxy-middleware;
//     plus the latency the edge adds at a fixed 500 req/s, next to what nginx adds, in turns;
//  2. merged search with the legacy CRM at 50 ms latency and 1,000,000 legacy customers, next to
//     legacy asked directly (in turns with the edge; by 4 callers back to back, and evenly spaced
//     at the rate those reached) and our clients service asked directly, each merged answer split
//     by its Server-Timing header;
//  3. merged search with legacy hung.
// Env: BENCH_DATABASE_URL (default DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres),
// BENCH_SECONDS per measurement (default 10; the in-turns ones take 2 × BENCH_SECONDS turns of 1 s per path), REDIS_URL (default redis://127.0.0.1:6379 when it answers).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import knexFactory from 'knex';
import { Pool as HttpPool } from 'undici';
import { v7 as uuidv7 } from 'uuid';
import { legacyPublicId } from '../src/platform/ids/legacy-public-id.js';
import { percentiles, runLoad, runLoadInTurns, runRateInTurns, warmUp, ms, type LoadResult } from './support/load.js';
import { machine, writeSection } from './support/report.js';
import { BENCH_PORTS, startServiceProcess, startSystemProcess, tokenFor } from './support/system-process.js';

const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// Turns of 1 s per path in the in-turns measurements: twice BENCH_SECONDS.
const TURNS = 2 * SECONDS;
const NGINX_PORT = 18480;
const NAIVE_PORT = 18481;
// The measured services run one per process, as in production; the all-in-one system around
// them provides the identity provider and the services the edge does not touch here.
const PORTS = { proxy: 18280, clients: 18282, legacy: 18290 };
const LEGACY_TIMEOUT_MS = 800;
/** Merged searches through the edge before any is measured (see warmUp in support/load.ts). */
const MERGED_WARM_UP_CALLS = 4_000;
const benchUrl = (() => {
  const url = new URL(serverUrl);
  url.pathname = '/figdesk_bench_proxy';
  return url.toString();
})();
const at = (port: number) => `http://127.0.0.1:${port}`;

async function redisUrl(): Promise<string | undefined> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const { Redis } = await import('ioredis');
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  const up = await redis.connect().then(() => redis.ping()).then(() => true, () => false);
  redis.disconnect();
  return up ? 'redis://127.0.0.1:6379' : undefined;
}

async function freshDatabase(): Promise<void> {
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw('drop database if exists figdesk_bench_proxy with (force)');
  await admin.raw('create database figdesk_bench_proxy');
  await admin.destroy();
}

/** Our own clients: 20,000 natives with names like legacy's, so a search finds some on both sides. */
async function seedNativeClients(names: string[]): Promise<void> {
  const knex = knexFactory({ client: 'pg', connection: benchUrl, pool: { min: 0, max: 1 } });
  const now = new Date();
  for (let from = 0; from < 20_000; from += 2_000) {
    const rows = Array.from({ length: 2_000 }, (_, n) => ({ id: uuidv7(), name: `${names[(from + n) % names.length]} ${from + n}`, created_at: now, updated_at: now }));
    await knex.withSchema('clients').table('clients').insert(rows);
  }
  await knex.raw('analyze clients.clients');
  await knex.destroy();
}

async function startNginx(upstreamPort: number): Promise<ChildProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'figdesk-nginx-'));
  const conf = `
worker_processes auto;
daemon off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream clients { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${NGINX_PORT};
    location / { proxy_pass http://clients; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}`;
  await writeFile(join(dir, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('error', () => undefined);
  await waitForPort(NGINX_PORT, child, 'nginx (apt-get install nginx)');
  return child;
}

async function startNaiveProxy(upstreamPort: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/naive-proxy.ts', at(upstreamPort), String(NAIVE_PORT)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await once(child, 'message');
  return child;
}

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null || child.killed) throw new Error(`${what} did not start`);
    if (await fetch(at(port)).then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not start`);
}

interface Cannon {
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function cannon(url: string, token: string, options: { seconds: number }): Promise<Cannon> {
  const result = await autocannon({ url, connections: 50, duration: options.seconds, headers: { authorization: `Bearer ${token}` } });
  return { perSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

const row = (name: string, result: Cannon, ceiling?: number) =>
  `| ${name} | ${Math.round(result.perSecond).toLocaleString('en')} | ${result.p50} ms | ${result.p99} ms | ${ceiling ? `${Math.round((100 * result.perSecond) / ceiling)} %` : ''} | ${result.non2xx + result.errors} |`;

const loadRow = (name: string, result: LoadResult, load: string) => `| ${name} | ${load} | ${ms(result.p50)} | ${ms(result.p95)} | ${ms(result.p99)} | ${Math.round(result.perSecond)} | ${result.errors} |`;

async function main(): Promise<void> {
  const taken = await Promise.all([BENCH_PORTS.proxy, BENCH_PORTS.idp, PORTS.proxy, PORTS.clients, PORTS.legacy, NGINX_PORT].map(async (port) => ((await fetch(at(port)).then(() => true, () => false)) ? port : undefined)));
  if (taken.some(Boolean)) throw new Error(`ports ${taken.filter(Boolean).join(', ')} are taken: is an earlier run still going?`);
  await freshDatabase();
  const redis = await redisUrl();
  const system = await startSystemProcess(benchUrl, { LEGACY_CRM_CUSTOMERS: '100', LEGACY_CRM_ORDERS: '100' });
  const services = [
    await startServiceProcess('legacy-crm', PORTS.legacy, { LEGACY_CRM_PORT: String(PORTS.legacy), LEGACY_CRM_CUSTOMERS: '1000000', LEGACY_CRM_ORDERS: '100000' }),
    await startServiceProcess('clients', PORTS.clients, { CLIENTS_PORT: String(PORTS.clients), DATABASE_URL: benchUrl }),
  ];
  services.push(
    await startServiceProcess('migration-proxy', PORTS.proxy, {
      PROXY_PORT: String(PORTS.proxy),
      DATABASE_URL: benchUrl,
      CLIENTS_URL: at(PORTS.clients),
      ORDERS_URL: at(BENCH_PORTS.orders),
      INCIDENTS_URL: at(BENCH_PORTS.incidents),
      LEGACY_CRM_URL: at(PORTS.legacy),
      LEGACY_TIMEOUT_MS: String(LEGACY_TIMEOUT_MS),
      ...(redis ? { REDIS_URL: redis, REDIS_KEY_PREFIX: `figdesk-bench-${process.pid}` } : {}),
    }),
  );
  const children: ChildProcess[] = [];
  const legacyFaults = (faults: object) => fetch(`${at(PORTS.legacy)}/crm/admin/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
  try {
    const token = await tokenFor('agent1');
    const auth = { authorization: `Bearer ${token}` };
    const postgres = knexFactory({ client: 'pg', connection: benchUrl, pool: { min: 0, max: 1 } });
    const postgresVersion = (await postgres.raw('show server_version')).rows[0].server_version as string;
    await postgres.destroy();

    // 1. Pass-through of a migrated record.
    const id = legacyPublicId('client', 100_001);
    const migrated = await fetch(`${at(PORTS.proxy)}/api/v1/clients/${id}`, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/json', 'if-match': '"1"' }, body: JSON.stringify({ phone: '+49 30 1234567' }) });
    if (migrated.status !== 200) throw new Error(`migrating the benchmark record answered ${migrated.status}`);
    children.push(await startNginx(PORTS.clients), await startNaiveProxy(PORTS.clients));
    const path = `/api/v1/clients/${id}`;
    const targets = [
      ['clients service, direct', at(PORTS.clients)],
      ['nginx proxy_pass, upstream keep-alive', at(NGINX_PORT)],
      ['figdesk edge', at(PORTS.proxy)],
      ['naive Express + http-proxy-middleware', at(NAIVE_PORT)],
    ] as const;
    const throughput: Record<string, Cannon> = {};
    for (const [name, base] of targets) {
      await cannon(`${base}${path}`, token, { seconds: 2 });
      throughput[name] = await cannon(`${base}${path}`, token, { seconds: SECONDS });
      console.log(`${name}: ${Math.round(throughput[name].perSecond)} req/s, p99 ${throughput[name].p99} ms`);
    }
    // nginx stays for the fixed-rate measurement, as the reference for what a hop costs at the tail.
    children.pop()?.kill('SIGTERM');
    // autocannon's rate limit sends each second's budget in a burst; this driver spaces them evenly.
    const poolAt = (port: number) => new HttpPool(at(port), { connections: 64 });
    const ratePools = { direct: poolAt(PORTS.clients), edge: poolAt(PORTS.proxy), nginx: poolAt(NGINX_PORT) };
    const readThrough = (pool: HttpPool) => async () => {
      const response = await pool.request({ method: 'GET', path, headers: auth });
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}`);
    };
    const ratePaths = { direct: readThrough(ratePools.direct), edge: readThrough(ratePools.edge), nginx: readThrough(ratePools.nginx) };
    await runRateInTurns({ rate: 500, sliceMs: 2_000, turns: 1, paths: ratePaths });
    const atRate = await runRateInTurns({ rate: 500, sliceMs: 1_000, turns: TURNS, paths: ratePaths });
    await Promise.all(Object.values(ratePools).map((pool) => pool.close()));
    for (const child of children.splice(0)) child.kill('SIGTERM');
    const added = (path: 'edge' | 'nginx') => atRate[path].p99 - atRate.direct.p99;
    console.log(`at 500 req/s: direct p99 ${ms(atRate.direct.p99)}, edge p99 ${ms(atRate.edge.p99)} (adds ${ms(added('edge'))}), nginx p99 ${ms(atRate.nginx.p99)} (adds ${ms(added('nginx'))})`);

    // 2. Merged search, legacy at 50 ms.
    const sample = (await (await fetch(`${at(PORTS.legacy)}/crm/customers?page=1&size=100`)).json()) as { items: { fullName: string }[] };
    await seedNativeClients(sample.items.map((item) => item.fullName));
    const name = (sample.items[0]?.fullName.split(' ')[1] ?? 'a').toLowerCase();
    await legacyFaults({ latencyMs: 50, jitterMs: 0, hang: false, errorRate: 0 });
    const pools = { legacy: new HttpPool(at(PORTS.legacy), { connections: 16 }), clients: new HttpPool(at(PORTS.clients), { connections: 16 }), edge: new HttpPool(at(PORTS.proxy), { connections: 16 }) };
    const get = async (pool: HttpPool, url: string, check?: (body: unknown) => void) => {
      const response = await pool.request({ method: 'GET', path: url, headers: auth });
      const body = await response.body.json();
      if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}`);
      check?.(body);
    };
    const query = encodeURIComponent(name);
    const searchLegacy = () => get(pools.legacy, `/crm/customers?q=${query}&page=1&size=50`);
    const searchOurs = () => get(pools.clients, `/api/v1/clients?name=${query}&limit=50`);
    // Each edge answer says in Server-Timing how long it waited on each source: what is left of
    // the answer's time after the slower source is the edge's own share.
    const shares = { legacy: [] as number[], own: [] as number[] };
    const searchEdge = async () => {
      const begin = performance.now();
      const response = await pools.edge.request({ method: 'GET', path: `/api/v1/clients?name=${query}&limit=50`, headers: auth });
      const body = (await response.body.json()) as { meta: { sources: { legacy: string } } };
      const total = performance.now() - begin;
      if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}`);
      if (body.meta.sources.legacy !== 'ok') throw new Error('legacy not ok');
      const waited = Object.fromEntries(String(response.headers['server-timing']).split(', ').map((entry) => [entry.split(';')[0], Number(/dur=([\d.]+)/.exec(entry)?.[1])]));
      shares.legacy.push(waited.legacy ?? Number.NaN);
      shares.own.push(total - Math.max(waited.legacy ?? 0, waited.clients ?? 0));
    };
    const paths = { legacy: searchLegacy, edge: searchEdge };
    const splitShares = () => {
      const split = { legacyAsWaited: percentiles(shares.legacy), edgeOwn: percentiles(shares.own) };
      shares.legacy = [];
      shares.own = [];
      return split;
    };
    // Legacy and the edge in turns, two ways. (a) 4 callers back to back: with legacy's fixed
    // 50 ms they fall into step, and their searches reach the edge within the same millisecond
    // every time. (b) An open loop at the rate (a) reached, evenly spaced: searches arriving
    // independently, as agents' do.
    // First the edge's merge path is brought to the state a running edge is in: measured in
    // windows of 5 s from its first search, its CPU per search fell from 5.0 to 2.4 ms as V8
    // optimised it, and was steady after about 3,000 searches (docs/benchmarks.md).
    await warmUp({ concurrency: 16, calls: MERGED_WARM_UP_CALLS, task: searchEdge });
    await runLoadInTurns({ concurrency: 4, sliceMs: 2_000, turns: 1, paths });
    splitShares(); // the warm-up's
    const inStep = await runLoadInTurns({ concurrency: 4, sliceMs: 1_000, turns: TURNS, paths });
    const inStepSplit = splitShares();
    const rate = Math.round(inStep.edge.perSecond);
    await runRateInTurns({ rate, sliceMs: 2_000, turns: 1, paths });
    splitShares();
    const spaced = await runRateInTurns({ rate, sliceMs: 1_000, turns: TURNS, paths });
    const spacedSplit = splitShares();
    // Our service on its own, after the turns: 4 callers back to back drive it at about 1,000
    // searches a second, and in turns the GC and database work that leaves behind fell on the
    // next turn, which hit the edge (which asks our service) and not legacy: edge p95 after a
    // turn of ours 81.7 ms, after a turn of legacy 77.7 ms.
    await runLoad({ concurrency: 4, durationMs: 2_000, task: searchOurs });
    const clients = await runLoad({ concurrency: 4, durationMs: TURNS * 1_000, task: searchOurs });
    for (const [how, result, split] of [['4 callers in step', inStep, inStepSplit], [`${rate}/s evenly spaced`, spaced, spacedSplit]] as const) {
      console.log(`merged search, ${how}: p95 ${ms(result.edge.p95)}; legacy ${ms(result.legacy.p95)}, clients ${ms(clients.p95)}; legacy as the edge waited on it p95 ${ms(split.legacyAsWaited(0.95))}, the edge's own share p50 ${ms(split.edgeOwn(0.5))} p95 ${ms(split.edgeOwn(0.95))}`);
    }

    // 3. Legacy hung.
    await legacyFaults({ latencyMs: 0, hang: true });
    const outcomes: Record<string, number[]> = {};
    const hung = await runLoad({
      concurrency: 8,
      durationMs: SECONDS * 1000,
      task: async () => {
        const begin = performance.now();
        await get(pools.edge, `/api/v1/clients?name=${query}&limit=50`, (body) => {
          const outcome = (body as { meta: { sources: { legacy: string } } }).meta.sources.legacy;
          (outcomes[outcome] ??= []).push(performance.now() - begin);
        });
      },
    });
    const slowest = (latencies: number[]) => ms(Math.max(...latencies));
    await legacyFaults({ hang: false });
    console.log(`legacy hung: p99 ${ms(hung.p99)}, errors ${hung.errors}, outcomes ${Object.entries(outcomes).map(([outcome, latencies]) => `${outcome} ${latencies.length} (slowest ${slowest(latencies)})`).join(', ')}`);
    await Promise.all(Object.values(pools).map((pool) => pool.close()));

    const nginx = throughput['nginx proxy_pass, upstream keep-alive'] as Cannon;
    const edge = throughput['figdesk edge'] as Cannon;
    const mergedBudget = (legacyDirect: LoadResult) => Math.max(legacyDirect.p95, clients.p95) + 5;
    const mergedVerdict = (result: Record<'legacy' | 'edge', LoadResult>) =>
      `p95 ≤ max(legacy, ours) + 5 ms = ${ms(mergedBudget(result.legacy))}: **${ms(result.edge.p95)}** — ${result.edge.p95 <= mergedBudget(result.legacy) ? 'met' : 'not met'}`;
    const mergedSplit = (result: Record<'legacy' | 'edge', LoadResult>, split: typeof inStepSplit) =>
      `legacy, as the edge waited on it, took ${ms(split.legacyAsWaited(0.5))} at p50 and ${ms(split.legacyAsWaited(0.95))} at p95 (asked directly: ${ms(result.legacy.p50)} and ${ms(result.legacy.p95)}); the edge's own share (the answer's time at the caller minus the slower source) was ${ms(split.edgeOwn(0.5))} at p50 and ${ms(split.edgeOwn(0.95))} at p95`;
    await writeSection(
      'proxy',
      `## Migration proxy (\`npm run bench:proxy\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine(postgresVersion)}; nginx ${'1.22 (Debian)'}, Redis ${redis ? 'on' : 'off (in-process cache)'}. Every figure below comes from the same run; the load generator (autocannon, 50 connections, ${SECONDS} s after a 2 s warm-up) shares the machine with the servers.

### Pass-through \`GET /api/v1/clients/:id\` of a migrated record

| path | req/s | p50 | p99 | of nginx | errors |
|---|---|---|---|---|---|
${targets.map(([name]) => row(name, throughput[name] as Cannon, name === 'clients service, direct' ? undefined : nginx.perSecond)).join('\n')}

Target ≥ 40 % of nginx: **${Math.round((100 * edge.perSecond) / nginx.perSecond)} %** — ${edge.perSecond >= 0.4 * nginx.perSecond ? 'met' : 'not met'}.

At a fixed 500 req/s (open loop, evenly spaced), the three paths in turns of 1 s, ${TURNS} turns each (${(TURNS * 500).toLocaleString('en')} requests per path), so the machine's slow moments fall on every path alike:

| path | p50 | p95 | p99 | added at p99 | errors |
|---|---|---|---|---|---|
| clients service, direct | ${ms(atRate.direct.p50)} | ${ms(atRate.direct.p95)} | ${ms(atRate.direct.p99)} |  | ${atRate.direct.errors} |
| figdesk edge | ${ms(atRate.edge.p50)} | ${ms(atRate.edge.p95)} | ${ms(atRate.edge.p99)} | ${ms(added('edge'))} | ${atRate.edge.errors} |
| nginx proxy_pass (reference) | ${ms(atRate.nginx.p50)} | ${ms(atRate.nginx.p95)} | ${ms(atRate.nginx.p99)} | ${ms(added('nginx'))} | ${atRate.nginx.errors} |

Added at p99 by the edge: **${ms(added('edge'))}** (target ≤ 2 ms: ${added('edge') <= 2 ? 'met' : 'not met'}); nginx, measured in the same turns, adds ${ms(added('nginx'))}.

### Merged search, legacy at 50 ms, 1,000,000 legacy customers, 20,000 of ours ("${name}", 50 per page)

First ${MERGED_WARM_UP_CALLS.toLocaleString('en')} merged searches (16 callers) bring the edge's merge code to the state a running edge is in: V8 optimises a function only after many calls, and before that the edge spent up to twice the CPU per search. Then legacy and the edge in turns of 1 s, ${TURNS} turns each, two ways: 4 callers back to back, which legacy's fixed 50 ms keeps in step (their searches reach the edge within the same millisecond, every time); then an open loop at the rate those reached, ${rate} searches a second, evenly spaced: searches arriving independently, as agents' do. Then our clients service alone for ${TURNS} s with 4 callers back to back (in turns, what its thousand searches a second left behind fell on the edge's next turn).

| asked | load | p50 | p95 | p99 | req/s | errors |
|---|---|---|---|---|---|---|
${loadRow('legacy CRM directly', inStep.legacy, '4 callers in step')}
${loadRow('edge: both merged', inStep.edge, '4 callers in step')}
${loadRow('legacy CRM directly', spaced.legacy, `${rate}/s spaced`)}
${loadRow('edge: both merged', spaced.edge, `${rate}/s spaced`)}
${loadRow('clients service directly', clients, '4 callers')}

Target, 4 callers in step: ${mergedVerdict(inStep)}. Spaced: ${mergedVerdict(spaced)}.

Where a merged answer's time went, from each answer's \`Server-Timing\` header. In step: ${mergedSplit(inStep, inStepSplit)}. Spaced: ${mergedSplit(spaced, spacedSplit)}.

### Legacy hung (8 callers, timeout ${LEGACY_TIMEOUT_MS} ms)

p50 ${ms(hung.p50)}, p99 **${ms(hung.p99)}** (target ≤ ${LEGACY_TIMEOUT_MS + 20} ms: ${hung.p99 <= LEGACY_TIMEOUT_MS + 20 ? 'met' : 'not met'}), ${hung.errors} errors (non-200) of ${hung.requests + hung.errors}; legacy outcomes: ${Object.entries(outcomes).map(([outcome, latencies]) => `${outcome} ${latencies.length} (slowest ${slowest(latencies)})`).join(', ')}. The first calls wait out the deadline; after \`LEGACY_BREAKER_MIN_CALLS\` failures in a row the breaker opens and answers come from the cache at once, until a trial call after \`LEGACY_BREAKER_RESET_MS\`.`,
    );
    console.log('written to docs/benchmarks.md');
  } finally {
    for (const child of children) child.kill('SIGTERM');
    for (const service of services.reverse()) await service.stop();
    await system.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
