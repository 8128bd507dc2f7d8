import { Gauge } from 'prom-client';
import type { Db } from '../../platform/db/index.js';
import type { LegacyRange } from '../legacy/legacy-crm.adapter.js';
import type { LegacyGateway } from '../legacy/legacy-gateway.js';
import type { ProxyMetrics } from '../proxy-metrics.js';
import { migratedCounts } from './ledger.js';

const TOTAL_MAX_AGE_MS = 5 * 60_000;

/**
 * Migration progress per resource on /metrics: records migrated (from the ledger, so every
 * proxy reports the same truth) and their share of what legacy holds. Legacy's size is asked
 * at most every five minutes.
 */
export function migrationProgress(metrics: ProxyMetrics, db: Db, legacy: LegacyGateway) {
  const totals = new Map<'client' | 'order', { count: number; at: number }>();
  // Both gauges read the same counts: one ledger query per scrape, not one per gauge.
  let counted: { at: number; rows: ReturnType<typeof migratedCounts> } | undefined;
  const counts = () => {
    if (!counted || Date.now() - counted.at > 1_000) counted = { at: Date.now(), rows: migratedCounts(db) };
    return counted.rows;
  };
  let refreshing: Promise<unknown> | undefined;

  function refreshTotals(): Promise<unknown> {
    if (refreshing) return refreshing;
    const count = (kind: 'client' | 'order') =>
      legacy
        .call<LegacyRange<unknown>>(`count_${kind}s`, (crm, signal) => (kind === 'client' ? crm.searchClients({ offset: 0, count: 1 }, signal) : crm.searchOrders({ offset: 0, count: 1 }, signal)))
        .then((range) => totals.set(kind, { count: range.total, at: Date.now() }));
    refreshing = Promise.allSettled([count('client'), count('order')]).finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  const migrated = new Gauge({
    name: 'migration_records_migrated',
    help: 'Legacy records migrated so far, by resource and how (lazy, backfill), from the ledger',
    labelNames: ['resource', 'how'] as const,
    registers: [metrics.metrics.registry],
    async collect() {
      const rows = await counts();
      this.reset();
      for (const row of rows) this.set({ resource: row.resource, how: row.how }, Number(row.count));
    },
  });

  new Gauge({
    name: 'migration_progress_ratio',
    help: 'Share of legacy records migrated, per resource (migrated ÷ records legacy holds)',
    labelNames: ['resource'] as const,
    registers: [metrics.metrics.registry],
    async collect() {
      const stale = (['client', 'order'] as const).some((kind) => Date.now() - (totals.get(kind)?.at ?? 0) > TOTAL_MAX_AGE_MS);
      // The first scrape waits (at most the legacy timeout); later ones refresh in the background.
      if (totals.size === 0) await refreshTotals();
      else if (stale) void refreshTotals();
      const byResource = new Map<string, number>();
      for (const row of await counts()) byResource.set(row.resource, (byResource.get(row.resource) ?? 0) + Number(row.count));
      this.reset();
      for (const [kind, total] of totals) if (total.count > 0) this.set({ resource: kind }, Math.min(1, (byResource.get(kind) ?? 0) / total.count));
    },
  });
  return { migrated };
}
