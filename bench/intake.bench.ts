// npm run bench:intake: Telegram webhook updates from many chats, through HTTP into real
// PostgreSQL, and the notification worker's throughput against a local Bot API stand-in.
// Env: BENCH_DATABASE_URL (default: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres),
// BENCH_SECONDS (default 10 per load phase), BENCH_CONCURRENCY (default 32).
// Writes its section of docs/benchmarks.md.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import knexFactory from 'knex';
import { Pool as HttpPool } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTelegramStandIn } from '../test/support/stand-ins/telegram-bot-api.js';
import { cpuMeter, processesNamed } from './support/cpu.js';
import { ms, runLoad, type LoadResult } from './support/load.js';
import { machine, writeSection } from './support/report.js';
import { BENCH_PORTS, startServiceProcess, startSystemProcess } from './support/system-process.js';

const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const CHATS = 2_000;
const TOKEN = '424242:bench-intake-token-abcdefghijkl';
const SECRET = 'bench-intake-webhook-secret-0123';
const databaseName = 'figdesk_bench_intake';
// The measured services run one per process, as in production; the all-in-one system around them
// provides the identity provider and the services the webhooks do not touch.
const PORTS = { proxy: 18380, incidents: 18381 };

const databaseUrl = (() => {
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
})();

let nextUpdate = 1;
/** A text message from one of many private chats, as Telegram posts it. */
function update() {
  const updateId = nextUpdate++;
  const chat = 10_000_000 + (updateId % CHATS);
  return JSON.stringify({
    update_id: updateId,
    message: { message_id: updateId, date: Math.floor(Date.now() / 1000), chat: { id: chat, type: 'private', first_name: 'Bench' }, from: { id: chat, is_bot: false, first_name: 'Bench', language_code: 'en' }, text: `Printer ${updateId} is jammed\nIt says paper error` },
  });
}

// An undici pool, as in bench:incidents: fetch cost the load generator about four times the CPU per
// call, and on two cores every cycle it spends is taken from the servers it measures.
const post = (pool: HttpPool) => async () => {
  const response = await pool.request({ method: 'POST', path: '/intake/telegram', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: update() });
  await response.body.arrayBuffer();
  if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}`);
};

async function main(): Promise<void> {
  const admin = knexFactory({ client: 'pg', connection: serverUrl });
  await admin.raw(`drop database if exists ${databaseName} with (force)`);
  await admin.raw(`create database ${databaseName}`);
  const postgresVersion = ((await admin.raw('show server_version')).rows[0] as { server_version: string }).server_version;
  await admin.destroy();
  const db = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: CONCURRENCY } });
  const telegram = await startTelegramStandIn({ token: TOKEN });
  const channelEnv = { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_URL: telegram.baseUrl, TELEGRAM_RATE_PER_SECOND: '0', TELEGRAM_CHAT_INTERVAL_MS: '0', LOG_LEVEL: 'warn' };
  const system = await startSystemProcess(databaseUrl);
  // The notification worker runs apart (below), so the intake figures are the webhook's and the processor's alone.
  const incidentsService = await startServiceProcess('incidents', PORTS.incidents, { ...channelEnv, INCIDENTS_PORT: String(PORTS.incidents), DATABASE_URL: databaseUrl, NOTIFICATIONS_WORKER: 'false', PROXY_URL: `http://127.0.0.1:${PORTS.proxy}` });
  const edgeService = await startServiceProcess('migration-proxy', PORTS.proxy, {
    PROXY_PORT: String(PORTS.proxy),
    DATABASE_URL: databaseUrl,
    INCIDENTS_URL: incidentsService.url,
    CLIENTS_URL: `http://127.0.0.1:${BENCH_PORTS.clients}`,
    ORDERS_URL: `http://127.0.0.1:${BENCH_PORTS.orders}`,
    LEGACY_CRM_URL: `http://127.0.0.1:${BENCH_PORTS.legacy}`,
    LOG_LEVEL: 'warn',
  });
  const count = async (sql: string) => Number(((await db.raw(sql)).rows[0] as { n: string }).n);
  try {
    // Baseline: the same row stored by direct SQL, one statement per update, no HTTP.
    let baselineId = 1_000_000_000;
    const sql: LoadResult = await runLoad({
      concurrency: CONCURRENCY,
      durationMs: SECONDS * 1000,
      task: () => db.raw(`insert into incidents.inbox (channel, external_id, conversation, payload, received_at, next_attempt_at, state) values ('telegram', ?, ?, ?::jsonb, now(), now(), 'ignored') on conflict do nothing`, [String(baselineId++), 'telegram:0', update()]),
    });
    const pending = () => count(`select count(*) as n from incidents.inbox where state = 'pending'`);
    const cpuGroups = {
      'incidents service': () => [incidentsService.child.pid ?? 0],
      edge: () => [edgeService.child.pid ?? 0],
      'rest of the system': () => [system.child.pid ?? 0],
      PostgreSQL: () => processesNamed('postgres'),
    };
    // Posts updates for SECONDS, then waits until the processor has handled every one: the
    // sustained rate counts both, so a processor falling behind the webhook shows in it.
    const phase = async (pool: HttpPool) => {
      const meter = cpuMeter(cpuGroups);
      const load = await runLoad({ concurrency: CONCURRENCY, durationMs: SECONDS * 1000, task: post(pool) });
      const backlog = await pending();
      const drainStarted = performance.now();
      while ((await pending()) > 0) await sleep(100);
      const drained = (performance.now() - drainStarted) / 1000;
      return { load, backlog, drained, sustained: load.requests / (load.seconds + drained), cpu: meter.stop() };
    };
    const toIncidents = new HttpPool(incidentsService.url, { connections: CONCURRENCY });
    const toEdge = new HttpPool(edgeService.url, { connections: CONCURRENCY });
    const direct = await phase(toIncidents);
    const edge = await phase(toEdge);
    await Promise.all([toIncidents.close(), toEdge.close()]);

    const sent = direct.load.requests + edge.load.requests;
    const stored = await count(`select count(*) as n from incidents.inbox where channel = 'telegram' and external_id::bigint < 1000000000`);
    // Every update becomes an incident (a chat's first) or a comment on it.
    const handled = await count(`select count(*) as n from incidents.inbox where state = 'done' and external_id::bigint < 1000000000`);
    const incidents = await count(`select count(*) as n from incidents.incidents`);
    const comments = await count(`select count(*) as n from incidents.comments`);

    // Notifications: every new incident queued a reply with its key. A worker process drains them.
    const queued = await count(`select count(*) as n from incidents.notifications where state = 'pending'`);
    const started = performance.now();
    const worker = spawn(process.execPath, ['dist/src/incidents/notifications/notifications.cli.js'], { env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, KEYCLOAK_URL: `http://127.0.0.1:${BENCH_PORTS.idp}`, ...channelEnv }, stdio: ['ignore', 'ignore', 'inherit'] });
    while ((await count(`select count(*) as n from incidents.notifications where state = 'pending'`)) > 0) {
      if (worker.exitCode !== null) throw new Error('the notification worker exited');
      await sleep(100);
    }
    const workerSeconds = (performance.now() - started) / 1000;
    worker.kill('SIGTERM');
    await once(worker, 'exit');
    const delivered = telegram.delivered().length;
    // Baseline: the stand-in's own pace, called directly with the same concurrency the worker uses (a batch of 100).
    const standIn = await runLoad({
      concurrency: 100,
      durationMs: 5_000,
      task: async () => {
        const response = await fetch(`${telegram.baseUrl}/bot${TOKEN}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: 1, text: 'baseline' }) });
        await response.arrayBuffer();
      },
    });

    const row = (name: string, result: LoadResult) => `| ${name} | ${result.perSecond.toFixed(0)}/s | ${ms(result.p50)} | ${ms(result.p95)} | ${result.errors} |`;
    const phaseRow = (name: string, run: typeof direct) => `| ${name} | ${run.load.perSecond.toFixed(0)}/s | ${ms(run.load.p50)} | ${ms(run.load.p95)} | ${run.load.errors} | ${run.backlog.toLocaleString('en')} | ${run.drained.toFixed(1)} s | **${run.sustained.toFixed(0)}/s** |`;
    const cpuRow = (name: string, run: typeof direct) => {
      const perUpdate = (seconds: number) => `${((seconds * 1000) / run.load.requests).toFixed(2)} ms`;
      const spent = Object.values(run.cpu).reduce((sum, seconds) => sum + seconds, 0);
      return `| ${name} | ${Object.values(run.cpu).map(perUpdate).join(' | ')} | ${perUpdate(spent)} |`;
    };
    const lines = [
      '## Intake: Telegram webhooks into PostgreSQL, and the notification worker',
      '',
      `\`npm run bench:intake\`, measured ${new Date().toISOString().slice(0, 10)} on ${machine(postgresVersion)}. The incidents service and the edge run compiled, each in its own process as in production; the rest of the system (identity provider, clients, orders, legacy CRM) runs in a third, whose incidents service is a second inbox processor on the same database, as a second replica would be. ${CONCURRENCY} concurrent callers post updates from ${CHATS.toLocaleString('en')} private chats for ${SECONDS} s per row; then the run waits until every update is handled. Sustained = updates / (posting time + the time the processor still needed). Target: ≥ 1,000 updates/s with every update accounted for.`,
      '',
      '| updates posted to | answered/s | p50 | p95 | errors | pending when posting stopped | handled all after | sustained |',
      '|---|---|---|---|---|---|---|---|',
      `${row('baseline: one INSERT per update, direct SQL', sql)} | | |`,
      phaseRow('the incidents service, /intake/telegram', direct),
      phaseRow('the public edge, /intake/telegram', edge),
      '',
      `Accounted for: ${sent.toLocaleString('en')} updates answered 200, ${stored.toLocaleString('en')} stored in the inbox${stored === sent ? ' (equal)' : ' (NOT equal)'}; ${handled.toLocaleString('en')} handled by the inbox processors into ${incidents.toLocaleString('en')} incidents and ${comments.toLocaleString('en')} comments${incidents + comments === handled ? ' (equal)' : ' (NOT equal)'}.`,
      '',
      'CPU time per update, posting and handling (from /proc; 2 cores give 2 ms of CPU per ms):',
      '',
      `| updates posted to | ${Object.keys(direct.cpu).join(' | ')} | all |`,
      `|---|${Object.keys(direct.cpu).map(() => '---|').join('')}---|`,
      cpuRow('the incidents service', direct),
      cpuRow('the public edge', edge),
      '',
      `Notification worker, rate limits off: ${queued.toLocaleString('en')} replies sent in ${workerSeconds.toFixed(1)} s = **${(queued / workerSeconds).toFixed(0)} messages/s** (${delivered.toLocaleString('en')} delivered to the stand-in), against the stand-in's own ${standIn.perSecond.toFixed(0)} calls/s when called directly with 100 at a time (the baseline).`,
    ];
    await writeSection('intake', lines.join('\n'));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await edgeService.stop();
    await incidentsService.stop();
    await system.stop();
    await telegram.close();
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
