export type CachedResource = 'client' | 'order';

export interface CachedRecord {
  legacyId: number; // positive integer
  /** Text the search index matches, e.g. a client's full name or an order number. */
  searchText: string;
  /** Exact-match groups, e.g. ['client:100005'] for an order of legacy customer 100005, ['phone:4930123456'] for a client with that phone. */
  tags?: string[];
  /** The record in the proxy's public shape; any JSON-serialisable object. */
  value: Record<string, unknown>;
}

export interface CacheSearch {
  text?: string;
  tag?: string;
  afterLegacyId?: number;
  limit: number;
}

export interface LegacyCache {
  readonly kind: 'redis' | 'memory';
  /** Stores (or replaces) records, each with its own TTL: the configured TTL minus a random 0–20% (jitter), and indexes searchText and tags. */
  putMany(resource: CachedResource, records: CachedRecord[]): Promise<void>;
  getMany(resource: CachedResource, legacyIds: number[]): Promise<Map<number, CachedRecord>>;
  /**
   * Cached, unexpired records matching: searchText contains `text` case-insensitively (toLowerCase;
   * NO accent folding — that is the legacy CRM's own search semantics), and carrying `tag` if given;
   * legacyId > afterLegacyId; ordered by legacyId ascending; at most `limit`. Neither text nor tag:
   * all cached records of the resource in id order.
   */
  search(resource: CachedResource, query: CacheSearch): Promise<CachedRecord[]>;
  delete(resource: CachedResource, legacyId: number): Promise<void>;
  /** Resolves when the cache works now (Redis answers PING); rejects with the reason otherwise. Used by /health/ready. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export interface LegacyCacheOptions {
  ttlMs: number;
  /** key prefix, default 'figdesk:legacy' — tests pass a unique one */
  namespace?: string;
  random?: () => number;
}

/** What `matches` looks at: everything in a search but the page size. */
export type RecordFilter = Omit<CacheSearch, 'limit'>;

const MAX_JITTER = 0.2;

/**
 * The configured TTL shortened by up to 20%, so records written together do not all expire (and
 * send their readers back to the legacy CRM) in the same instant. Never longer than `ttlMs`, even
 * with a random source that strays outside [0, 1).
 */
export function ttlWithJitter(ttlMs: number, random: () => number): number {
  const fraction = Math.min(Math.max(random(), 0), 1);
  return Math.max(1, Math.floor(ttlMs * (1 - MAX_JITTER * fraction)));
}

/** Whether a record satisfies a search; both adapters use it so they cannot drift apart. */
export function matches(record: CachedRecord, query: RecordFilter): boolean {
  if (query.afterLegacyId !== undefined && record.legacyId <= query.afterLegacyId) return false;
  if (query.tag !== undefined && !(record.tags ?? []).includes(query.tag)) return false;
  if (query.text !== undefined && !record.searchText.toLowerCase().includes(query.text.toLowerCase())) return false;
  return true;
}

/** Rejects ids that would make keys and sort orders meaningless (0, -1, 1.5, NaN). */
export function assertLegacyId(legacyId: number): void {
  if (!Number.isSafeInteger(legacyId) || legacyId <= 0) {
    throw new RangeError(`legacyId must be a positive integer, got ${legacyId}`);
  }
}

export const byLegacyId = (a: CachedRecord, b: CachedRecord): number => a.legacyId - b.legacyId;
