// npm run bench:frame — what Express's re-parenting of every request costs the garbage collector.
// Two processes run the same service frame (createApp: request log, metrics, a validated JSON
// read); one lets Express set the request's and response's prototypes on every request, the
// other has them set at birth (lifecycle/http-server.ts). Both get the same fixed rate at the same
// time, so the machine's slow moments fall on both, and V8's own trace (--trace-gc) says what
// the collector did meanwhile. (In turns, each process idled half the time, and V8's memory
// reducer ran full collections in the pauses.)
// Env: BENCH_SECONDS (default 10; the measurement runs 2 × BENCH_SECONDS), BENCH_RATE (default 500).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { cpuMeter } from './support/cpu.js';
import { runRate, ms, type LoadResult } from './support/load.js';
import { machine, writeSection } from './support/report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const variants = { reparented: 18490, born: 18491 } as const;
type Variant = keyof typeof variants;

interface Collections {
  scavenges: number[];
  markCompacts: number[];
}

const pauseOf = (line: string) => Number(/MB, ([\d.]+) \//.exec(line)?.[1] ?? Number.NaN);

async function start(variant: Variant, dir: string) {
  const trace = join(dir, `${variant}.log`);
  const out = await open(trace, 'w');
  const child = spawn(process.execPath, ['--trace-gc', 'bench/support/frame-server.mjs', variant, String(variants[variant])], { stdio: ['ignore', out.fd, 'inherit', 'ipc'] });
  await once(child, 'message');
  await out.close();
  /** The child's clock (ms since it started), the scale of V8's timestamps in the trace. */
  const now = async () => {
    child.send('now');
    const [time] = (await once(child, 'message')) as [number];
    return time;
  };
  /** The collections whose timestamps fall between from and to. */
  const collections = async (from: number, to: number): Promise<Collections> => {
    const found: Collections = { scavenges: [], markCompacts: [] };
    for (const line of (await readFile(trace, 'utf8')).split('\n')) {
      const at = Number(/\]\s+(\d+) ms: /.exec(line)?.[1] ?? Number.NaN);
      if (!(at >= from && at <= to)) continue;
      if (line.includes(': Scavenge ')) found.scavenges.push(pauseOf(line));
      else if (line.includes(': Mark-Compact ')) found.markCompacts.push(pauseOf(line));
    }
    return found;
  };
  return { child, now, collections };
}

const mean = (values: number[]) => (values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : 0);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'figdesk-bench-frame-'));
  const running = { reparented: await start('reparented', dir), born: await start('born', dir) };
  const seconds = 2 * SECONDS;
  try {
    const pools = Object.fromEntries(Object.entries(variants).map(([name, port]) => [name, new Pool(`http://127.0.0.1:${port}`, { connections: 64 })])) as Record<Variant, Pool>;
    const read = (pool: Pool) => async () => {
      const response = await pool.request({ method: 'GET', path: '/api/v1/things/0190f5c1-7d0c-7000-8000-000000000001' });
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}`);
    };
    const paths = { reparented: read(pools.reparented), born: read(pools.born) };
    const both = async (durationMs: number) => {
      // The second loop starts half an interval later, so neither process's requests always
      // queue behind the other's in the load generator.
      const [reparented, born] = await Promise.all([
        runRate({ rate: RATE, durationMs, task: paths.reparented }),
        new Promise((resolve) => setTimeout(resolve, 500 / RATE)).then(() => runRate({ rate: RATE, durationMs, task: paths.born })),
      ]);
      return { reparented, born };
    };
    await both(2_000);
    const from = { reparented: await running.reparented.now(), born: await running.born.now() };
    const meter = cpuMeter({ reparented: () => [running.reparented.child.pid as number], born: () => [running.born.child.pid as number] });
    const latency = await both(seconds * 1_000);
    const cpu = meter.stop();
    const to = { reparented: await running.reparented.now(), born: await running.born.now() };
    // The trace reaches the file when C's stdout buffer is flushed: give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const collected = { reparented: await running.reparented.collections(from.reparented, to.reparented), born: await running.born.collections(from.born, to.born) };
    await Promise.all(Object.values(pools).map((pool) => pool.close()));

    const row = (name: string, variant: Variant, result: LoadResult) => {
      const { scavenges, markCompacts } = collected[variant];
      const paused = scavenges.reduce((sum, pause) => sum + pause, 0) + markCompacts.reduce((sum, pause) => sum + pause, 0);
      return `| ${name} | ${ms(result.p50)} | ${ms(result.p95)} | ${ms(result.p99)} | ${(scavenges.length / seconds).toFixed(1)} | ${ms(mean(scavenges))} | ${markCompacts.length} | ${ms(paused / seconds)} | ${((1000 * (cpu[variant] ?? 0)) / result.requests).toFixed(2)} ms | ${result.errors} |`;
    };
    const table = [
      '| frame | p50 | p95 | p99 | scavenges/s | mean scavenge | mark-compacts | GC pause per s | CPU per request | errors |',
      '|---|---|---|---|---|---|---|---|---|---|',
      row('Express re-parents each request (before)', 'reparented', latency.reparented),
      row('prototypes set at birth (now)', 'born', latency.born),
    ].join('\n');
    console.log(table);
    await writeSection(
      'frame',
      `## Service frame and the garbage collector (\`npm run bench:frame\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}.
Two processes run the platform's frame (\`createApp\`: request log, metrics, a validated JSON read shaped like \`GET /api/v1/clients/:id\`, no database). In one, Express sets the prototypes of every request and response (\`Object.setPrototypeOf\` in \`app.handle\`); in the other they are set when Node creates the objects (\`listen\`'s \`prototypes\`), so Express changes nothing. Both get ${RATE} req/s, evenly spaced, at the same time for ${seconds} s, after 2 s of warm-up; V8's \`--trace-gc\` counts each process's collections over those ${seconds} s.

${table}

"GC pause per s" adds up the pauses V8 reports for scavenges and mark-compacts (the main thread's part; concurrent marking is not counted). "CPU per request" is the process's CPU time (/proc, all threads) over the requests it answered.`,
    );
  } finally {
    for (const variant of Object.values(running)) variant.child.kill('SIGTERM');
  }
}

await main();
