import { LRUCache } from 'lru-cache';
import {
  assertLegacyId,
  byLegacyId,
  matches,
  ttlWithJitter,
  type CachedRecord,
  type CachedResource,
  type LegacyCache,
  type LegacyCacheOptions,
} from './legacy-cache.js';

export interface MemoryLegacyCacheOptions extends LegacyCacheOptions {
  /** Bound on records across both resources; the least recently used go first. */
  maxEntries?: number;
}

interface Entry {
  resource: CachedResource;
  record: CachedRecord;
}

const keyOf = (resource: CachedResource, legacyId: number) => `${resource}:${legacyId}`;

// The JSON round trip Redis makes, so both adapters hand back the same shapes (a Date comes back
// as a string in either) and callers mutating their objects never change the cache.
const copy = (record: CachedRecord) => JSON.parse(JSON.stringify(record)) as CachedRecord;

/**
 * An in-process cache: the default when no Redis is configured and the path the proxy falls back
 * to. Search scans every entry, which is fine at this size and keeps it obviously correct.
 * `namespace` does not apply: each instance is its own space.
 */
export function createMemoryLegacyCache(options: MemoryLegacyCacheOptions): LegacyCache {
  const random = options.random ?? Math.random;
  // One LRU for both resources, so maxEntries bounds the whole cache rather than each resource.
  const entries = new LRUCache<string, Entry>({ max: options.maxEntries ?? 100_000 });

  return {
    kind: 'memory',

    async putMany(resource, records) {
      records.forEach((record) => assertLegacyId(record.legacyId));
      for (const record of records) {
        entries.set(keyOf(resource, record.legacyId), { resource, record: copy(record) }, { ttl: ttlWithJitter(options.ttlMs, random) });
      }
    },

    async getMany(resource, legacyIds) {
      const found = new Map<number, CachedRecord>();
      for (const legacyId of legacyIds) {
        const entry = entries.get(keyOf(resource, legacyId));
        if (entry) found.set(legacyId, copy(entry.record));
      }
      return found;
    },

    async search(resource, query) {
      const hits: CachedRecord[] = [];
      // values() skips expired entries and leaves the recency order alone.
      for (const entry of entries.values()) {
        if (entry.resource === resource && matches(entry.record, query)) hits.push(entry.record);
      }
      return hits.sort(byLegacyId).slice(0, Math.max(query.limit, 0)).map(copy);
    },

    async delete(resource, legacyId) {
      entries.delete(keyOf(resource, legacyId));
    },

    async check() {},

    async close() {
      entries.clear();
    },
  };
}
