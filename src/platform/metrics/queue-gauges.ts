import { Gauge, type Registry } from 'prom-client';

export interface Backlog {
  pending: number;
  oldestAgeSeconds: number;
}

/**
 * Two gauges of a work queue, its depth and the age of its oldest item, read with one query per
 * scrape: both gauges ask within the same second, and share the answer.
 */
export function queueGauges(registry: Registry, names: { pending: string; pendingHelp: string; age: string; ageHelp: string }, read: () => Promise<Backlog>): void {
  let last: { at: number; backlog: Promise<Backlog> } | undefined;
  const backlog = () => {
    if (!last || Date.now() - last.at > 1_000) last = { at: Date.now(), backlog: read() };
    return last.backlog;
  };
  new Gauge({
    name: names.pending,
    help: names.pendingHelp,
    registers: [registry],
    async collect() {
      this.set((await backlog()).pending);
    },
  });
  new Gauge({
    name: names.age,
    help: names.ageHelp,
    registers: [registry],
    async collect() {
      this.set((await backlog()).oldestAgeSeconds);
    },
  });
}
