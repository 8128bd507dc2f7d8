// npm run bench:incidents — lists and creation of incidents over HTTP against 1,000,000 seeded
// incidents in real PostgreSQL, next to the same SQL run directly through pg in the same run.
// Env: BENCH_DATABASE_URL (default: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres),
// BENCH_ROWS (default 1000000), BENCH_SECONDS per measurement (default 8), BENCH_REUSE=1 keeps a seeded database.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import knexFactory from 'knex';
import pg from 'pg';
import { Pool as HttpPool } from 'undici';
import { listIncidentsPlan, type ListOptions } from '../src/incidents/data/incident-query.js';
import { schemaMigrations } from '../migrations/index.js';
import { loadRealm } from '../src/platform/auth/dev-idp/realm.js';
import { migrateSchema } from '../src/platform/db/index.js';
import { cpuMeter, processesNamed } from './support/cpu.js';
import { runLoad, runLoadInTurns, warmUp, ms, type LoadResult } from './support/load.js';
import { runListStatements, type ListStatements } from './support/list-statements.js';
import { machine, writeSection } from './support/report.js';
import { BENCH_PORTS, startSystemProcess, tokenFor } from './support/system-process.js';

const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = 8;
/** Calls of each path of each list before any is measured (see warmUp in support/load.ts). */
const WARM_UP_CALLS = 1_500;
const BARE_PORT = 18099;
const benchUrl = (() => {
  const url = new URL(serverUrl);
  url.pathname = '/figdesk_bench';
  return url.toString();
})();

async function prepareDatabase(agentId: string): Promise<void> {
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  const exists = (await admin.raw("select 1 from pg_database where datname = 'figdesk_bench'")).rows.length > 0;
  if (exists && process.env.BENCH_REUSE === '1') {
    const knex = knexFactory({ client: 'pg', connection: benchUrl, pool: { min: 0, max: 1 } });
    const seeded = Number((await knex.raw('select count(*) as n from incidents.incidents where number <= ?', [ROWS])).rows[0].n);
    if (seeded < ROWS) throw new Error(`figdesk_bench has ${seeded} seeded incidents, fewer than ${ROWS}; run without BENCH_REUSE`);
    // Back to the seed: incidents an earlier run created are the newest, and would change the plans measured.
    await knex.raw('delete from incidents.history where incident_id in (select id from incidents.incidents where number > ?)', [ROWS]);
    await knex.raw('delete from incidents.outbox');
    await knex.raw('delete from incidents.incidents where number > ?', [ROWS]);
    await knex.raw('vacuum analyze incidents.incidents');
    await knex.destroy();
    await admin.destroy();
    return console.log(`reusing figdesk_bench, reset to its ${seeded} seeded incidents`);
  }
  await admin.raw('drop database if exists figdesk_bench with (force)');
  await admin.raw('create database figdesk_bench');
  await admin.destroy();

  const knex = knexFactory({ client: 'pg', connection: benchUrl, pool: { min: 1, max: 1 } });
  for (const [schema, migrations] of Object.entries(schemaMigrations)) await migrateSchema(knex, schema, migrations);
  await knex.raw('select setseed(0.42)');
  const started = performance.now();
  const batch = 100_000;
  for (let from = 1; from <= ROWS; from += batch) {
    await knex.raw(SEED_SQL, { from, to: Math.min(ROWS, from + batch - 1), rows: ROWS, agent: agentId });
    process.stdout.write(`\rseeded ${Math.min(ROWS, from + batch - 1).toLocaleString('en')} / ${ROWS.toLocaleString('en')} incidents (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  await knex.raw('analyze incidents.incidents');
  console.log(`\nseeding took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  await knex.destroy();
}

// Spread: 85% closed, 5% resolved, 2% cancelled, 8% open; P1 2%, P2 13%, P3 50%, P4 35%;
// six categories; 50 agents (agent1 among them), open "new" ones 30% unassigned; a year of dates, oldest first.
const SEED_SQL = `
insert into incidents.incidents (id, title, description, channel, category, priority, status, reporter, created_by,
  created_at, updated_at, first_response_due_at, resolution_due_at, first_responded_at, resolved_at, closed_at,
  assignee_id, assignee_name, client_id, resolution)
select gen_random_uuid(),
  (array['Printer','VPN','Mailbox','Laptop','Password','Invoice','Network','Screen','Keyboard','Server','Database','Phone'])[1 + (g * 7) % 12]
    || ' ' || (array['jammed','down','slow','broken','locked','missing','failing','not responding','full','flickering'])[1 + (g * 13) % 10],
  'Reported from building ' || (g % 40) || ', floor ' || (g % 9) || ': ' ||
    (array['users cannot work','intermittent since the update','after the power cut','only in the morning','for the whole team'])[1 + (g * 17) % 5],
  (array['web','telegram','sms','esb','api'])[1 + (g * 3) % 5],
  (array['hardware','software','network','access','billing','other'])[1 + (g * 11) % 6],
  priority, status, '{}'::jsonb, '{"id":"seed","username":"seed"}'::jsonb,
  created_at, created_at + interval '1 hour',
  created_at + first_response, created_at + resolution,
  case when status <> 'new' then created_at + first_response / 2 end,
  case when status in ('resolved', 'closed') then created_at + resolution * 0.7 end,
  case when status = 'closed' then created_at + resolution * 0.7 + interval '7 days' end,
  case when status = 'new' and r3 < 0.3 then null when g % 50 = 0 then :agent else 'seed-agent-' || (g % 50) end,
  case when status = 'new' and r3 < 0.3 then null else 'Agent ' || (g % 50) end,
  case when g % 2 = 0 then 'client-' || (g % 20000) end,
  case when status in ('resolved', 'closed') then 'Fixed' end
from (
  select g, r3,
    case when r1 < 0.02 then 'P1' when r1 < 0.15 then 'P2' when r1 < 0.65 then 'P3' else 'P4' end as priority,
    case when r2 < 0.85 then 'closed' when r2 < 0.90 then 'resolved' when r2 < 0.92 then 'cancelled'
         when r2 < 0.95 then 'new' when r2 < 0.99 then 'in_progress' else 'waiting_customer' end as status,
    case when r1 < 0.02 then interval '15 minutes' when r1 < 0.15 then interval '1 hour' when r1 < 0.65 then interval '4 hours' else interval '1 day' end as first_response,
    case when r1 < 0.02 then interval '4 hours' when r1 < 0.15 then interval '8 hours' when r1 < 0.65 then interval '2 days' else interval '5 days' end as resolution,
    -- In creation order, as in production: the sequence numbers incidents as they arrive, so
    -- the table's physical order follows created_at (a random date per row would scatter it).
    now() - ((:rows::float - g + r4) / :rows) * interval '365 days' as created_at
  from (select g, random() as r1, random() as r2, random() as r3, random() as r4 from generate_series(:from::int, :to::int) as g) raw
) seeded`;

interface Scenario {
  name: string;
  query: Record<string, string>;
  list: Omit<ListOptions, 'now'>;
}

async function main(): Promise<void> {
  const realm = await loadRealm('keycloak/helpdesk-realm.json');
  const agentId = realm.users.get('agent1')?.id as string;
  await prepareDatabase(agentId);

  const sevenDaysAgo = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const open = ['new', 'in_progress', 'waiting_customer'] as const;
  const scenarios: Scenario[] = [
    { name: 'my open P1–P2 by due time', query: { assignee: 'me', status: open.join(','), priority: 'P1,P2', sort: 'due', limit: '50' }, list: { filter: { assignee: agentId, status: [...open], priority: ['P1', 'P2'] }, sort: { key: 'due', direction: 'asc' }, limit: 50 } },
    { name: 'category network, last 7 days', query: { category: 'network', created_from: sevenDaysAgo, limit: '50' }, list: { filter: { category: ['network'], createdFrom: new Date(sevenDaysAgo) }, sort: { key: 'created_at', direction: 'desc' }, limit: 50 } },
    { name: 'text search "printer jammed"', query: { q: 'printer jammed', limit: '50' }, list: { filter: { text: 'printer jammed' }, sort: { key: 'created_at', direction: 'desc' }, limit: 50 } },
    // Two frequent words that no seeded title has together: PostgreSQL's own plan walked every row (docs/benchmarks.md).
    { name: 'text search "printer down" (no match)', query: { q: 'printer down', limit: '50' }, list: { filter: { text: 'printer down' }, sort: { key: 'created_at', direction: 'desc' }, limit: 50 } },
  ];

  const system = await startSystemProcess(benchUrl, { INCIDENT_JOBS_INTERVAL_MS: '0' });
  const direct = new pg.Pool({ connectionString: benchUrl, max: CONCURRENCY });
  const sqlBuilder = knexFactory({ client: 'pg' });
  // The statements of each list, built once: the SQL path and the bare server run the same ones.
  const statements = scenarios.map((scenario): ListStatements => {
    const plan = listIncidentsPlan(sqlBuilder, { ...scenario.list, now: new Date() });
    return { first: plan.first.toSQL().toNative(), fromIndex: plan.fromIndex?.toSQL().toNative(), limit: scenario.list.limit };
  });
  let bareServer: ChildProcess | undefined;
  const bare = new HttpPool(`http://127.0.0.1:${BARE_PORT}`, { connections: CONCURRENCY * 2 });
  const services = new HttpPool(`http://127.0.0.1:${BENCH_PORTS.incidents}`, { connections: CONCURRENCY * 2 });
  const edge = new HttpPool(`http://127.0.0.1:${BENCH_PORTS.proxy}`, { connections: CONCURRENCY * 2 });
  const postgresVersion = (await direct.query('show server_version')).rows[0].server_version as string;
  const lines: string[] = [];
  const measure = async (task: () => Promise<unknown>, concurrency: number) => {
    await runLoad({ concurrency, durationMs: 2_000, task }); // warm-up: plans cached, pools filled
    return runLoad({ concurrency, durationMs: SECONDS * 1000, task });
  };
  const get = (pool: HttpPool, path: string, token?: string) => async () => {
    const response = await pool.request({ method: 'GET', path, headers: token ? { authorization: `Bearer ${token}` } : {} });
    const body = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${response.statusCode} ${body.slice(0, 200)}`);
  };

  try {
    bareServer = await startBareServer(statements);
    const bareServerPid = bareServer.pid as number;
    // What any request costs on this machine, before any work of ours: the HTTP frame and a database round trip.
    const frame = await runLoad({ concurrency: 1, durationMs: 3_000, task: async () => (await services.request({ method: 'GET', path: '/health/live' })).body.text() });
    const roundTrip = await runLoad({ concurrency: 1, durationMs: 3_000, task: () => direct.query('select 1') });
    const single: string[] = [];
    const rows: string[] = [];
    const cpuRows: string[] = [];
    const floor: string[] = [];
    // CPU per process group while each path ran: the whole system is one process here.
    const cpu = () => cpuMeter({ figdesk: () => [system.child.pid as number], bare: () => [bareServerPid], postgres: () => processesNamed('postgres') });
    const pathsOf = (index: number, token: string) => {
      const scenario = scenarios[index] as Scenario;
      const path = `/api/v1/incidents?${new URLSearchParams(scenario.query)}`;
      // The statements the service runs, as it runs them (listIncidents): the second only when the first did not fill the page.
      const sql = () => runListStatements(direct, statements[index] as ListStatements);
      return { sql, paths: { sql, bare: get(bare, `/${index}`), service: get(services, path, token), edge: get(edge, path, token) } };
    };
    // Every path of every list first runs WARM_UP_CALLS times, so the code measured is the code a
    // running system has: V8 optimises a function only after many calls, and the service spent
    // 2.6 ms of CPU per list in its first 5 s under load against 1.6 ms afterwards (docs/benchmarks.md).
    const warmToken = await tokenFor('agent1');
    for (const index of scenarios.keys()) {
      for (const task of Object.values(pathsOf(index, warmToken).paths)) await warmUp({ concurrency: CONCURRENCY, calls: WARM_UP_CALLS, task });
    }
    for (const [index, scenario] of scenarios.entries()) {
      const token = await tokenFor('agent1');
      const { sql, paths } = pathsOf(index, token);
      // In turns of a second each, so the machine's slow moments fall on every path alike (load.ts).
      const busy = await runLoadInTurns({ concurrency: CONCURRENCY, sliceMs: 1_000, turns: SECONDS, paths, cpu });
      const alone = await runLoadInTurns({ concurrency: 1, sliceMs: 1_000, turns: 3, paths: { sql: paths.sql, bare: paths.bare, service: paths.service } });
      const matched = (await sql()).rowCount;
      single.push(`| ${scenario.name} | ${ms(alone.sql.p50)} / ${ms(alone.sql.p95)} | ${ms(alone.bare.p50)} / ${ms(alone.bare.p95)} | ${ms(alone.service.p50)} / ${ms(alone.service.p95)} | ${(alone.bare.p95 / alone.sql.p95).toFixed(2)}× | ${(alone.service.p95 / alone.sql.p95).toFixed(2)}× |`);
      rows.push(row(scenario.name, matched ?? 0, busy.sql, busy.service, busy.edge));
      floor.push(`| ${scenario.name} | ${ms(busy.sql.p50)} / ${ms(busy.sql.p95)} | ${ms(busy.bare.p50)} / ${ms(busy.bare.p95)} | ${busy.bare.perSecond.toFixed(0)} | ${(busy.bare.p95 / busy.sql.p95).toFixed(2)}× | ${ms(busy.service.p95)} | ${(busy.service.p95 / busy.bare.p95).toFixed(2)}× |`);
      cpuRows.push(...cpuRowsOf(scenario.name, busy));
      console.log(rows[rows.length - 1]);
    }

    const token = await tokenFor('agent1');
    const create = (pool: HttpPool) => async () => {
      const response = await pool.request({ method: 'POST', path: '/api/v1/incidents', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Benchmark incident', description: 'Filed by the benchmark', category: 'software', priority: 'P3', channel: 'api' }) });
      await response.body.text();
      if (response.statusCode !== 201) throw new Error(String(response.statusCode));
    };
    const createDirect = await measure(create(services), 16);
    const createBusy = await measure(create(services), 64);
    const createEdge = await measure(create(edge), 16);
    const createSql = await measure(directCreate(direct), 16);
    console.log(`create: ${createDirect.perSecond.toFixed(0)}/s (16 callers), ${createBusy.perSecond.toFixed(0)}/s (64), ${createEdge.perSecond.toFixed(0)}/s through the edge; SQL ${createSql.perSecond.toFixed(0)}/s`);

    lines.push(
      '## Incidents (`npm run bench:incidents`)',
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} on ${machine(postgresVersion)}: ${ROWS.toLocaleString('en')} seeded incidents (85% closed, 8% open; P1 2%, P2 13%; 6 categories; 50 agents; one year).`,
      `The system runs compiled in its own process (\`node dist/src/main.js\`, request logging on); load comes from this process, ${CONCURRENCY} concurrent callers. Each path of each list first runs ${WARM_UP_CALLS.toLocaleString('en')} times, so V8 has optimised the code measured, as it has in a running system. The lists are measured in turns of 1 s per path (SQL, bare, service, edge), ${SECONDS} turns each, so the machine's slow moments fall on all four alike; creation ${SECONDS} s per figure after 2 s of warm-up.`,
      '"SQL" runs the exact statements the API runs (`listIncidentsPlan`: for a text search, a bounded walk down the date index, then the GIN index when the walk did not fill the page) through a pg pool: the baseline. "service" calls the incidents service over HTTP (token check, validation, JSON); "edge" goes through the migration proxy as well.',
      '',
      '| list | rows fetched (limit + 1) | SQL p50 / p95 | service p50 / p95 | service req/s | service p95 ÷ SQL p95 | edge p50 / p95 | edge req/s |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `**The floor.** "bare" runs the same statements behind a minimal HTTP server (\`bench/support/bare-list-server.ts\`: node:http, a pg pool, \`JSON.stringify\` of the rows; no token, no validation, no log, no framework, and every value left as PostgreSQL's text), measured in the same turns. What it adds to the SQL path is about what an HTTP service pays on this machine before doing any work of its own; the last column is what the service adds on top of that floor.`,
      '',
      '| list | SQL p50 / p95 | bare p50 / p95 | bare req/s | bare p95 ÷ SQL p95 | service p95 | service p95 ÷ bare p95 |',
      '|---|---|---|---|---|---|---|',
      ...floor,
      '',
      `Where each request's CPU went while its path ran (ms per request, from /proc; "figdesk" is the one process of all services, "bare" the bare server, "caller" this process, which parses the rows on the SQL path and only reads the body on the others). At saturation the p95 ratio follows the ratio of the totals.`,
      '',
      '| list | path | figdesk | bare | PostgreSQL | caller | total | total ÷ SQL\'s |',
      '|---|---|---|---|---|---|---|---|',
      ...cpuRows,
      '',
      `One caller at a time (no queueing): what the service adds to each query. For scale: the bare HTTP frame (\`GET /health/live\`) takes ${ms(frame.p50)} / ${ms(frame.p95)} (p50 / p95), a \`select 1\` round trip ${ms(roundTrip.p50)} / ${ms(roundTrip.p95)}.`,
      '',
      '| list | SQL p50 / p95 | bare p50 / p95 | service p50 / p95 | bare p95 ÷ SQL p95 | service p95 ÷ SQL p95 |',
      '|---|---|---|---|---|---|',
      ...single,
      '',
      'Creation (`POST /api/v1/incidents` of a P3 incident with a category: the incident, its history entry and its outbox event in one statement):',
      '',
      '| path | callers | incidents/s | p50 / p95 | errors |',
      '|---|---|---|---|---|',
      `| SQL baseline (the same insert of incident, history and event, through pg) | 16 | ${createSql.perSecond.toFixed(0)} | ${ms(createSql.p50)} / ${ms(createSql.p95)} | ${createSql.errors} |`,
      `| service over HTTP | 16 | **${createDirect.perSecond.toFixed(0)}** | ${ms(createDirect.p50)} / ${ms(createDirect.p95)} | ${createDirect.errors} |`,
      `| service over HTTP | 64 | **${createBusy.perSecond.toFixed(0)}** | ${ms(createBusy.p50)} / ${ms(createBusy.p95)} | ${createBusy.errors} |`,
      `| through the edge | 16 | ${createEdge.perSecond.toFixed(0)} | ${ms(createEdge.p50)} / ${ms(createEdge.p95)} | ${createEdge.errors} |`,
      '',
      'Targets (issue 3): p95 ≤ 30 ms for the filtered lists and ≤ 1.3× the direct SQL; creation ≥ 1,000 incidents/s over HTTP.',
    );
    await writeSection('incidents', lines.join('\n'));
    console.log('written to docs/benchmarks.md');
  } finally {
    await services.close();
    await edge.close();
    await bare.close();
    bareServer?.kill();
    await direct.end();
    await sqlBuilder.destroy();
    await system.stop();
  }
}

/** The SQL the service sends for such a creation, straight through pg: one statement, as incident.repository builds it. */
function directCreate(pool: pg.Pool) {
  return async () => {
    await pool.query(
      `with i as (insert into incidents.incidents (id, title, description, channel, category, priority, reporter, created_by, created_at, updated_at, first_response_due_at, resolution_due_at, tags)
         values (gen_random_uuid(), 'Benchmark incident', 'Filed by the benchmark', 'api', 'software', 'P3', '{}', $1, now(), now(), now() + interval '4 hours', now() + interval '2 days', '{}') returning *),
       h as (insert into incidents.history (incident_id, at, actor, kind, after) select id, now(), $1, 'created', '{"priority":"P3"}' from i)
       insert into incidents.outbox (event_id, type, aggregate_type, aggregate_id, occurred_at, payload)
         select gen_random_uuid(), 'incident.created', 'incident', id, now(), jsonb_set($2::jsonb, '{data,key}', to_jsonb(incidents.incident_key(number))) from i`,
      ['{"id":"bench","username":"bench"}', JSON.stringify({ type: 'incident.created', data: { title: 'Benchmark incident' } })],
    );
  };
}

/** CPU milliseconds per request of each path, by process group, and the total against the SQL path's. */
function cpuRowsOf(name: string, results: Record<'sql' | 'bare' | 'service' | 'edge', LoadResult>): string[] {
  const perRequest = (result: LoadResult) => {
    const spent = result.cpu ?? {};
    const of = (group: string) => (1000 * (spent[group] ?? 0)) / result.requests;
    return { figdesk: of('figdesk'), bare: of('bare'), postgres: of('postgres'), caller: of('load generator') };
  };
  const total = (cpu: ReturnType<typeof perRequest>) => cpu.figdesk + cpu.bare + cpu.postgres + cpu.caller;
  const baseline = total(perRequest(results.sql));
  return (['sql', 'bare', 'service', 'edge'] as const).map((path) => {
    const cpu = perRequest(results[path]);
    return `| ${name} | ${path === 'sql' ? 'SQL' : path} | ${cpu.figdesk.toFixed(2)} | ${cpu.bare.toFixed(2)} | ${cpu.postgres.toFixed(2)} | ${cpu.caller.toFixed(2)} | ${total(cpu).toFixed(2)} | ${(total(cpu) / baseline).toFixed(2)}× |`;
  });
}

/** The bare server (support/bare-list-server.ts) in its own process, holding the lists' statements. */
async function startBareServer(lists: ListStatements[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/bare-list-server.ts', benchUrl, String(BARE_PORT), String(CONCURRENCY)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  // Its answer, or its exit (it could not load, or the port is taken): never a wait for ever.
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the bare server exited (${String(code)}) before it was ready`);
  });
  try {
    await Promise.race([once(child, 'message'), exited]);
    child.send({ lists });
    await Promise.race([once(child, 'message'), exited]);
  } catch (error) {
    child.kill();
    throw error;
  }
  return child;
}

function row(name: string, matched: number, sql: LoadResult, http: LoadResult, edge: LoadResult): string {
  return `| ${name} | ${matched} | ${ms(sql.p50)} / ${ms(sql.p95)} | ${ms(http.p50)} / ${ms(http.p95)} | ${http.perSecond.toFixed(0)} | ${(http.p95 / sql.p95).toFixed(2)}× | ${ms(edge.p50)} / ${ms(edge.p95)} | ${edge.perSecond.toFixed(0)} |`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
