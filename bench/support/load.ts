/**
 * Load drivers for the benchmarks. Every call's latency is kept, so percentiles are exact.
 * HTTP and direct SQL are driven by the same loops, so their figures compare like for like.
 */
export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** CPU seconds per process group while this path ran, when a meter was given (cpu.ts). */
  cpu?: Record<string, number>;
}

/** Starts measuring CPU; `stop()` gives seconds per process group (cpuMeter in cpu.ts). */
export type CpuMeterStart = () => { stop(): Record<string, number> };

/** Latencies and errors gathered over one or more stretches of running. */
class Samples {
  readonly latencies: number[] = [];
  errors = 0;
  seconds = 0;
  cpu?: Record<string, number>;

  addCpu(spent: Record<string, number>): void {
    this.cpu ??= {};
    for (const [group, seconds] of Object.entries(spent)) this.cpu[group] = (this.cpu[group] ?? 0) + seconds;
  }

  summary(): LoadResult {
    const at = percentiles(this.latencies);
    return { requests: this.latencies.length, errors: this.errors, seconds: this.seconds, perSecond: this.latencies.length / this.seconds, p50: at(0.5), p95: at(0.95), p99: at(0.99), ...(this.cpu ? { cpu: this.cpu } : {}) };
  }
}

/** Exact percentiles of `values`: `at(0.95)` is the p95 (NaN when there are none). */
export function percentiles(values: number[]): (share: number) => number {
  const sorted = [...values].sort((a, b) => a - b);
  return (share) => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? Number.NaN;
}

async function closedLoop(samples: Samples, options: { concurrency: number; durationMs: number; task: () => Promise<unknown> }): Promise<void> {
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const begin = performance.now();
      try {
        await options.task();
        samples.latencies.push(performance.now() - begin);
      } catch {
        samples.errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  samples.seconds += (performance.now() - started) / 1000;
}

/**
 * An open loop: starts `task` at a fixed `rate` per second, evenly spaced, whether or not
 * earlier calls have finished, so latency is measured at a known load (not at saturation).
 */
async function openLoop(samples: Samples, options: { rate: number; durationMs: number; task: () => Promise<unknown> }): Promise<void> {
  const pending: Promise<void>[] = [];
  const interval = 1000 / options.rate;
  const started = performance.now();
  for (let sent = 0; sent * interval < options.durationMs; sent++) {
    const wait = started + sent * interval - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const begin = performance.now();
    pending.push(options.task().then(() => void samples.latencies.push(performance.now() - begin), () => void (samples.errors += 1)));
  }
  await Promise.all(pending);
  samples.seconds += (performance.now() - started) / 1000;
}

/** A closed loop: `concurrency` workers each run `task` back to back for `durationMs`. */
export async function runLoad(options: { concurrency: number; durationMs: number; task: () => Promise<unknown> }): Promise<LoadResult> {
  const samples = new Samples();
  await closedLoop(samples, options);
  return samples.summary();
}

/**
 * Calls `task` until it has run `calls` times, `concurrency` at a time, and forgets the results.
 * V8 compiles a function with its optimising compiler only after it has run many times, so a
 * path measured soon after start measures the compiler's work and the slower code before it
 * (docs/benchmarks.md: the edge's CPU per merged search fell from 5.0 to 2.4 ms over its first
 * 3,000 searches). Counting calls, not seconds, warms a slow path (70 searches a second) as
 * well as a fast one.
 */
export async function warmUp(options: { concurrency: number; calls: number; task: () => Promise<unknown> }): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < options.calls) {
      started += 1;
      await options.task().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
}

/** The open loop on its own: `task` at a fixed `rate` per second for `durationMs`. */
export async function runRate(options: { rate: number; durationMs: number; task: () => Promise<unknown> }): Promise<LoadResult> {
  const samples = new Samples();
  await openLoop(samples, options);
  return samples.summary();
}

/**
 * Several paths measured in turns of `sliceMs` each, `turns` times, each path's samples pooled.
 * On a shared machine the slow moments (another process's GC, the scheduler) come every few
 * seconds and last tens of milliseconds; in short turns they fall on every path alike, where
 * in one long stretch per path they land on whichever path happened to be running then.
 * Each turn starts with the next path, so no path always follows the same one. With `cpu`,
 * each path's result also says how much CPU each process group spent while it ran.
 */
async function inTurns<Path extends string>(
  paths: Record<Path, () => Promise<unknown>>,
  turns: number,
  run: (samples: Samples, task: () => Promise<unknown>) => Promise<void>,
  cpu?: CpuMeterStart,
): Promise<Record<Path, LoadResult>> {
  const names = Object.keys(paths) as Path[];
  const samples = Object.fromEntries(names.map((name) => [name, new Samples()])) as Record<Path, Samples>;
  for (let turn = 0; turn < turns; turn++) {
    for (let step = 0; step < names.length; step++) {
      const name = names[(turn + step) % names.length] as Path;
      const meter = cpu?.();
      await run(samples[name], paths[name]);
      if (meter) samples[name].addCpu(meter.stop());
    }
  }
  return Object.fromEntries(names.map((name) => [name, samples[name].summary()])) as Record<Path, LoadResult>;
}

/** The open loop for several paths, in turns (see inTurns). */
export function runRateInTurns<Path extends string>(options: { rate: number; sliceMs: number; turns: number; paths: Record<Path, () => Promise<unknown>>; cpu?: CpuMeterStart }): Promise<Record<Path, LoadResult>> {
  return inTurns(options.paths, options.turns, (samples, task) => openLoop(samples, { rate: options.rate, durationMs: options.sliceMs, task }), options.cpu);
}

/** runLoad for several paths, in turns (see inTurns). */
export function runLoadInTurns<Path extends string>(options: { concurrency: number; sliceMs: number; turns: number; paths: Record<Path, () => Promise<unknown>>; cpu?: CpuMeterStart }): Promise<Record<Path, LoadResult>> {
  return inTurns(options.paths, options.turns, (samples, task) => closedLoop(samples, { concurrency: options.concurrency, durationMs: options.sliceMs, task }), options.cpu);
}

export const ms = (value: number) => `${value.toFixed(1)} ms`;
