import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../platform/metrics/index.js';

/** What managers and operators watch during the migration, on the edge's /metrics. */
export function createProxyMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  return {
    legacyDuration: new Histogram({
      name: 'legacy_request_duration_seconds',
      help: 'Calls to the legacy CRM by operation and outcome (ok, not_found, timeout, error, circuit_open); the _count series are the outcome counts',
      labelNames: ['operation', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2],
      registers,
    }),
    breakerState: new Gauge({
      name: 'legacy_breaker_state',
      help: 'The legacy circuit breaker: 1 for the state it is in (closed, half_open, open), 0 for the others',
      labelNames: ['state'] as const,
      registers,
    }),
    cacheRequests: new Counter({
      name: 'legacy_cache_requests_total',
      help: 'Look-ups in the cache of legacy records: hit, miss, or error (cache unreachable, answered without it)',
      labelNames: ['resource', 'result'] as const,
      registers,
    }),
    cacheUp: new Gauge({ name: 'legacy_cache_up', help: '1 while the cache of legacy records answers, 0 while requests go without it', labelNames: ['kind'] as const, registers }),
    recordsMigrated: new Counter({
      name: 'records_migrated_total',
      help: 'Legacy records copied into our services, by resource and how (lazy: on first edit; backfill)',
      labelNames: ['resource', 'how'] as const,
      registers,
    }),
    divergence: new Counter({
      name: 'migration_divergent_fields_total',
      help: 'Fields where legacy, read again at migration time, differed from the cached copy callers had been shown',
      labelNames: ['resource', 'field'] as const,
      registers,
    }),
    metrics,
  };
}

export type ProxyMetrics = ReturnType<typeof createProxyMetrics>;
