import { Redis, type ChainableCommander } from 'ioredis';
import {
  assertLegacyId,
  matches,
  ttlWithJitter,
  type CachedRecord,
  type CachedResource,
  type CacheSearch,
  type LegacyCache,
  type LegacyCacheOptions,
} from './legacy-cache.js';

const DEFAULT_NAMESPACE = 'figdesk:legacy';
const CONNECT_TIMEOUT_MS = 1_000;
const COMMAND_TIMEOUT_MS = 500;
const MAX_RECONNECT_DELAY_MS = 1_000;

// The cache is an optimisation in front of a slow legacy CRM: a request must never wait on a Redis
// that is away. So no offline queue and no retries (a command fails at once and the caller goes
// without the cache), but reconnect forever so the cache comes back on its own.
const CONNECTION_OPTIONS = {
  lazyConnect: false,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: COMMAND_TIMEOUT_MS,
  connectTimeout: CONNECT_TIMEOUT_MS,
  retryStrategy: (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  connectionName: 'figdesk-legacy-cache',
};

// Removes ids whose record key is gone from the `all` sorted set (KEYS[1]) and the index sets
// (KEYS[2..]). It checks again inside Redis because a putMany may have brought a record back
// since the search read it; ARGV[1] is the record key prefix, ARGV[2..] the ids. Building record
// keys inside the script is fine on one Redis server; Redis Cluster would need them in KEYS.
const FORGET_EXPIRED = `
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('EXISTS', ARGV[1] .. id) == 0 then
    redis.call('ZREM', KEYS[1], id)
    for k = 2, #KEYS do redis.call('SREM', KEYS[k], id) end
  end
end
return 0`;

/** Whether a URL names a Redis server this adapter can connect to. */
function isRedisUrl(value: string): boolean {
  try {
    return ['redis:', 'rediss:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function keysFor(namespace: string, resource: CachedResource) {
  const base = `${namespace}:${resource}`;
  return {
    record: (legacyId: number | string) => `${base}:r:${legacyId}`,
    trigram: (gram: string) => `${base}:g3:${gram}`,
    char: (char: string) => `${base}:g1:${char}`,
    tag: (tag: string) => `${base}:t:${tag}`,
    all: `${base}:all`,
  };
}
type Keys = ReturnType<typeof keysFor>;

/** Lowercased characters (code points, so an emoji is one character) and their distinct trigrams. */
function grams(text: string) {
  const chars = Array.from(text.toLowerCase());
  const trigrams = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i += 1) trigrams.add(chars.slice(i, i + 3).join(''));
  return { length: chars.length, chars: [...new Set(chars)], trigrams: [...trigrams] };
}

/**
 * The index sets a record is added to. Sets it belonged to under an earlier searchText or tags
 * keep its id until they expire; that is harmless because every hit is checked against the
 * stored record before it is returned.
 */
function indexSetsOf(keys: Keys, record: CachedRecord): string[] {
  const { chars, trigrams } = grams(record.searchText);
  return [...trigrams.map(keys.trigram), ...chars.map(keys.char), ...[...new Set(record.tags ?? [])].map(keys.tag)];
}

/** The sets whose intersection holds every candidate for a query; none means every record. */
function querySets(keys: Keys, query: CacheSearch): string[] {
  const sets: string[] = [];
  if (query.text) {
    const { length, chars, trigrams } = grams(query.text);
    sets.push(...(length >= 3 ? trigrams.map(keys.trigram) : chars.map(keys.char)));
  }
  if (query.tag !== undefined) sets.push(keys.tag(query.tag));
  return sets;
}

/** Records per MGET: about a page, so a short page does not pull hundreds of records. */
const chunkSizeFor = (limit: number) => Math.min(Math.max(limit, 16), 500);

function addMember(members: Map<string, string[]>, set: string, id: string): void {
  const ids = members.get(set);
  if (ids) ids.push(id);
  else members.set(set, [id]);
}

async function execOrThrow(batch: ChainableCommander): Promise<void> {
  const results = await batch.exec();
  if (!results) throw new Error('Redis discarded the transaction');
  const failed = results.find(([error]) => error);
  if (failed) throw failed[0];
}

/** Resolves once the first connection attempt has settled either way, so boot never waits on Redis. */
function firstAttempt(redis: Redis): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      clearTimeout(timer);
      redis.off('ready', settle).off('error', settle);
      resolve();
    };
    const timer = setTimeout(settle, CONNECT_TIMEOUT_MS + 100);
    redis.once('ready', settle).once('error', settle);
  });
}

/** Ids that may match, ascending and above `afterLegacyId`, a chunk at a time. */
async function* candidateChunks(redis: Redis, keys: Keys, sets: string[], afterLegacyId: number, chunkSize: number) {
  if (sets.length === 0) {
    for (let after = afterLegacyId; ; ) {
      const ids = (await redis.zrangebyscore(keys.all, `(${after}`, '+inf', 'LIMIT', 0, chunkSize)).map(Number);
      if (ids.length > 0) yield ids;
      const last = ids.at(-1);
      if (ids.length < chunkSize || last === undefined) return;
      after = last;
    }
  }
  const ids = (await redis.sinter(sets)).map(Number).filter((id) => id > afterLegacyId).sort((a, b) => a - b);
  for (let start = 0; start < ids.length; start += chunkSize) yield ids.slice(start, start + chunkSize);
}

/** The records still stored for these ids; the ids of expired ones are dropped from the index on the way. */
async function liveRecords(redis: Redis, keys: Keys, sets: string[], ids: number[]): Promise<CachedRecord[]> {
  const stored = await redis.mget(ids.map(keys.record));
  const live: CachedRecord[] = [];
  const expired: number[] = [];
  ids.forEach((id, i) => {
    const json = stored[i];
    if (json) live.push(JSON.parse(json) as CachedRecord);
    else expired.push(id);
  });
  if (expired.length > 0) await redis.eval(FORGET_EXPIRED, 1 + sets.length, keys.all, ...sets, keys.record(''), ...expired);
  return live;
}

async function searchIndex(redis: Redis, keys: Keys, query: CacheSearch): Promise<CachedRecord[]> {
  const sets = querySets(keys, query);
  const found: CachedRecord[] = [];
  if (query.limit <= 0) return found;
  for await (const ids of candidateChunks(redis, keys, sets, query.afterLegacyId ?? 0, chunkSizeFor(query.limit))) {
    for (const record of await liveRecords(redis, keys, sets, ids)) {
      // The index only narrows the candidates: a record's trigrams can all occur without the
      // text itself, and stale entries survive a change of searchText or tags.
      if (matches(record, query)) found.push(record);
      if (found.length >= query.limit) return found;
    }
  }
  return found;
}

/** Records and their index entries in one MULTI: one round trip, and no reader sees a record before its index. */
async function writeRecords(redis: Redis, keys: Keys, records: CachedRecord[], ttlMs: number, random: () => number): Promise<void> {
  const batch = redis.multi();
  const members = new Map<string, string[]>();
  for (const record of records) {
    batch.set(keys.record(record.legacyId), JSON.stringify(record), 'PX', ttlWithJitter(ttlMs, random));
    for (const set of indexSetsOf(keys, record)) addMember(members, set, String(record.legacyId));
  }
  // Each write pushes an index set's expiry past that of every record it holds (a record's TTL is
  // at most ttlMs), so a set nobody writes to any more goes away after its last record.
  for (const [set, ids] of members) batch.sadd(set, ...ids).pexpire(set, ttlMs);
  batch.zadd(keys.all, ...records.flatMap((record) => [record.legacyId, String(record.legacyId)])).pexpire(keys.all, ttlMs);
  await execOrThrow(batch);
}

async function readRecords(redis: Redis, keys: Keys, legacyIds: number[]): Promise<Map<number, CachedRecord>> {
  const ids = [...new Set(legacyIds)];
  const found = new Map<number, CachedRecord>();
  if (ids.length === 0) return found;
  const stored = await redis.mget(ids.map(keys.record));
  ids.forEach((id, i) => {
    const json = stored[i];
    if (json) found.set(id, JSON.parse(json) as CachedRecord);
  });
  return found;
}

/** A cache shared by every proxy instance; see CONNECTION_OPTIONS for how it behaves when Redis is away. */
export async function createRedisLegacyCache(url: string, options: LegacyCacheOptions): Promise<LegacyCache> {
  if (!isRedisUrl(url)) throw new TypeError('the legacy cache needs a redis:// or rediss:// URL');
  const { ttlMs } = options;
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const random = options.random ?? Math.random;
  const redis = new Redis(url, CONNECTION_OPTIONS);
  let lastError: Error | undefined;
  // Without a listener ioredis prints every failed reconnect; /health/ready reports the state instead.
  redis.on('error', (error: Error) => (lastError = error));
  redis.on('ready', () => (lastError = undefined));
  await firstAttempt(redis);

  return {
    kind: 'redis',

    async putMany(resource, records) {
      records.forEach((record) => assertLegacyId(record.legacyId));
      if (records.length > 0) await writeRecords(redis, keysFor(namespace, resource), records, ttlMs, random);
    },

    getMany: (resource, legacyIds) => readRecords(redis, keysFor(namespace, resource), legacyIds),

    search: (resource, query) => searchIndex(redis, keysFor(namespace, resource), query),

    async delete(resource, legacyId) {
      const keys = keysFor(namespace, resource);
      // The index sets keep the id until they expire; searches drop it when its record is missing.
      await execOrThrow(redis.multi().del(keys.record(legacyId)).zrem(keys.all, String(legacyId)));
    },

    async check() {
      if (redis.status !== 'ready') {
        throw new Error(`Redis is not connected (${redis.status})${lastError ? `: ${lastError.message}` : ''}`);
      }
      await redis.ping();
    },

    async close() {
      try {
        await redis.quit();
      } catch {
        // Not connected: quit cannot be sent, so stop reconnecting without it.
        redis.disconnect();
      }
    },
  };
}
