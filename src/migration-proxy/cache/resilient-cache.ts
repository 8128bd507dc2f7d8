import { LRUCache } from 'lru-cache';
import type { Logger } from '../../platform/logging/index.js';
import type { ProxyMetrics } from '../proxy-metrics.js';
import type { CachedRecord, CachedResource, CacheSearch, LegacyCache } from './legacy-cache.js';

/**
 * The cache as the edge uses it: an optimisation that must never fail a request. When the
 * cache is unreachable every call answers as a miss at once, and metrics and readiness say so.
 */
/** A cache call slower than this counts as a failure: a cache must never cost more than it saves. */
const BUDGET_MS = 150;
/** While the cache is down, one call in this long checks whether it is back. */
const PROBE_EVERY_MS = 1_000;

function withinBudget<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the cache did not answer within ${BUDGET_MS} ms`)), BUDGET_MS);
  });
  work.catch(() => undefined); // settles after the budget, unobserved
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * The cache as the edge uses it: an optimisation that must never fail or slow a request. A
 * call that fails or takes longer than BUDGET_MS answers as a miss, and marks the cache down;
 * while it is down no call waits on it, and a PING every PROBE_EVERY_MS finds out when it is
 * back. Metrics and readiness say which state it is in.
 */
export function resilientCache(cache: LegacyCache, metrics: ProxyMetrics, logger: Logger, options: { rewriteAfterMs: number }) {
  let up = true;
  // A popular search returns the same records again and again: each is written once per
  // rewriteAfterMs unless it changed, not on every answer (a Redis write indexes every trigram).
  const written = new LRUCache<string, string>({ max: 100_000, ttl: options.rewriteAfterMs });
  const keyOf = (resource: CachedResource, legacyId: number) => `${resource}:${legacyId}`;
  const fingerprint = (record: CachedRecord) => `${record.searchText}\u0000${JSON.stringify(record.value)}`;
  let probedAt = 0;
  metrics.cacheUp.set({ kind: cache.kind }, 1);
  const mark = (working: boolean, error?: unknown) => {
    if (working !== up) {
      // A cache that was away may have come back empty (a restarted Redis): write everything again.
      if (working) written.clear();
      if (working) logger.info({ kind: cache.kind }, 'cache of legacy records is back');
      else logger.warn({ err: error, kind: cache.kind }, 'cache of legacy records unreachable: answering without it');
    }
    up = working;
    metrics.cacheUp.set({ kind: cache.kind }, working ? 1 : 0);
  };
  const usable = () => {
    if (up) return true;
    if (Date.now() - probedAt >= PROBE_EVERY_MS) {
      probedAt = Date.now();
      withinBudget(cache.check()).then(() => mark(true), () => undefined);
    }
    return false;
  };
  async function guarded<T>(run: () => Promise<T>, fallback: T): Promise<T> {
    if (!usable()) return fallback;
    try {
      const result = await withinBudget(run());
      mark(true);
      return result;
    } catch (error) {
      probedAt = Date.now();
      mark(false, error);
      return fallback;
    }
  }

  return {
    kind: cache.kind,
    async getMany(resource: CachedResource, legacyIds: number[]): Promise<Map<number, CachedRecord>> {
      const found = await guarded(() => cache.getMany(resource, legacyIds), undefined);
      if (!found) {
        metrics.cacheRequests.inc({ resource, result: 'error' }, legacyIds.length);
        return new Map();
      }
      metrics.cacheRequests.inc({ resource, result: 'hit' }, found.size);
      metrics.cacheRequests.inc({ resource, result: 'miss' }, legacyIds.length - found.size);
      return found;
    },
    /** Matching cached records; undefined when the cache cannot be asked. */
    search: (resource: CachedResource, query: CacheSearch) => guarded<CachedRecord[] | undefined>(() => cache.search(resource, query), undefined),
    async putMany(resource: CachedResource, records: CachedRecord[]): Promise<void> {
      const changed = records.filter((record) => written.get(keyOf(resource, record.legacyId)) !== fingerprint(record));
      if (changed.length === 0) return;
      await guarded(async () => {
        await cache.putMany(resource, changed);
        for (const record of changed) written.set(keyOf(resource, record.legacyId), fingerprint(record));
      }, undefined);
    },
    delete(resource: CachedResource, legacyId: number): Promise<void> {
      written.delete(keyOf(resource, legacyId));
      return guarded(() => cache.delete(resource, legacyId), undefined);
    },
    /** Readiness: reported, never required; the edge answers without the cache. */
    check: () =>
      withinBudget(cache.check()).then(
        () => mark(true),
        (error: unknown) => {
          mark(false, error);
          throw error;
        },
      ),
    close: () => cache.close(),
  };
}

export type ResilientCache = ReturnType<typeof resilientCache>;
