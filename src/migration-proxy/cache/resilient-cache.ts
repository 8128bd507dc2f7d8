import type { Logger } from '../../platform/logging/index.js';
import type { ProxyMetrics } from '../proxy-metrics.js';
import type { CachedRecord, CachedResource, CacheSearch, LegacyCache } from './legacy-cache.js';

/**
 * The cache as the edge uses it: an optimisation that must never fail a request. When the
 * cache is unreachable every call answers as a miss at once, and metrics and readiness say so.
 */
export function resilientCache(cache: LegacyCache, metrics: ProxyMetrics, logger: Logger) {
  let up = true;
  metrics.cacheUp.set({ kind: cache.kind }, 1);
  const mark = (working: boolean, error?: unknown) => {
    if (working !== up) {
      if (working) logger.info({ kind: cache.kind }, 'cache of legacy records is back');
      else logger.warn({ err: error, kind: cache.kind }, 'cache of legacy records unreachable: answering without it');
    }
    up = working;
    metrics.cacheUp.set({ kind: cache.kind }, working ? 1 : 0);
  };
  async function guarded<T>(run: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const result = await run();
      mark(true);
      return result;
    } catch (error) {
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
    putMany: (resource: CachedResource, records: CachedRecord[]) => (records.length ? guarded(() => cache.putMany(resource, records), undefined) : Promise.resolve()),
    delete: (resource: CachedResource, legacyId: number) => guarded(() => cache.delete(resource, legacyId), undefined),
    /** Readiness: reported, never required; the edge answers without the cache. */
    check: () => cache.check().then(() => mark(true), (error: unknown) => {
      mark(false, error);
      throw error;
    }),
    close: () => cache.close(),
  };
}

export type ResilientCache = ReturnType<typeof resilientCache>;
