/**
 * A closed-loop load driver: `concurrency` workers each run `task` back to back for
 * `durationMs`; every call's latency is kept, so percentiles are exact. HTTP and direct SQL
 * are driven by the same loop, so their figures compare like for like.
 */
export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

export async function runLoad(options: { concurrency: number; durationMs: number; task: () => Promise<unknown> }): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const begin = performance.now();
      try {
        await options.task();
        latencies.push(performance.now() - begin);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (share: number) => latencies[Math.min(latencies.length - 1, Math.floor(share * latencies.length))] ?? Number.NaN;
  return { requests: latencies.length, errors, seconds, perSecond: latencies.length / seconds, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

export const ms = (value: number) => `${value.toFixed(1)} ms`;

/**
 * An open-loop driver: starts `task` at a fixed `rate` per second, evenly spaced, whether or not
 * earlier calls have finished, so latency is measured at a known load (not at saturation).
 */
export async function runRate(options: { rate: number; durationMs: number; task: () => Promise<unknown> }): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const pending: Promise<void>[] = [];
  const interval = 1000 / options.rate;
  const started = performance.now();
  for (let sent = 0; sent * interval < options.durationMs; sent++) {
    const wait = started + sent * interval - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const begin = performance.now();
    pending.push(options.task().then(() => void latencies.push(performance.now() - begin), () => void (errors += 1)));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (share: number) => latencies[Math.min(latencies.length - 1, Math.floor(share * latencies.length))] ?? Number.NaN;
  return { requests: latencies.length, errors, seconds, perSecond: latencies.length / seconds, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}
