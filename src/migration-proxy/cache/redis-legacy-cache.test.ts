import { randomUUID } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { CachedRecord, LegacyCache, LegacyCacheOptions } from './legacy-cache.js';
import { legacyCacheContract } from './legacy-cache.contract.js';
import { createRedisLegacyCache } from './redis-legacy-cache.js';
import { freePort } from '../../../test/support/ports.js';
import { redisForTests } from '../../../test/support/redis.js';

const testNamespace = () => `figdesk-test:${process.pid}:${randomUUID()}`;
const record = (legacyId: number, searchText: string): CachedRecord => ({ legacyId, searchText, value: { legacyId, name: searchText } });

/** How a promise settles within `ms`: a call to a Redis that is away must reject, not hang. */
async function outcomeWithin(promise: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  const timer = new AbortController();
  const outcome = promise.then(() => 'resolved' as const, () => 'rejected' as const);
  const timeout = sleep(ms, 'pending' as const, { signal: timer.signal }).catch(() => 'pending' as const);
  try {
    return await Promise.race([outcome, timeout]);
  } finally {
    timer.abort();
  }
}

/** The calls a request can make; each must fail fast while Redis is away. */
const everyCall = (cache: LegacyCache) => ({
  getMany: () => cache.getMany('client', [1]),
  putMany: () => cache.putMany('client', [record(1, 'Anna Müller')]),
  search: () => cache.search('client', { text: 'anna', limit: 10 }),
  delete: () => cache.delete('client', 1),
  check: () => cache.check(),
});

async function expectEveryCallToFailWithin(cache: LegacyCache, ms: number): Promise<void> {
  for (const [name, call] of Object.entries(everyCall(cache))) {
    expect({ name, outcome: await outcomeWithin(call(), ms) }).toEqual({ name, outcome: 'rejected' });
  }
}

describe('redis legacy cache while nothing listens on its port', () => {
  it('rejects every call at once, and closes without hanging', async () => {
    const cache = await createRedisLegacyCache(`redis://127.0.0.1:${await freePort()}`, { ttlMs: 60_000, namespace: testNamespace() });
    try {
      // Well inside the 500 ms command timeout: while disconnected nothing is queued, calls fail at once.
      await expectEveryCallToFailWithin(cache, 250);
      await expect(cache.check()).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      expect(await outcomeWithin(cache.close(), 1_000)).toBe('resolved');
    }
  });

  it('refuses a URL that is not a Redis URL', async () => {
    await expect(createRedisLegacyCache('http://127.0.0.1:6379', { ttlMs: 1_000 })).rejects.toThrow(TypeError);
  });
});

// REDIS_URL (CI), else a private redis-server; with neither installed there is nothing to run against.
const redis = await redisForTests();
if (redis) {
  describe('redis legacy cache', () => {
    afterAll(() => redis.stop());
    redisSuite(redis.url);
  });
} else {
  describe.skip('redis legacy cache (skipped: no REDIS_URL and no redis-server installed; CI runs these)', () => redisSuite('redis://unset'));
}

function redisSuite(url: string): void {
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const namespaces: string[] = [];

  // SCAN is for test bookkeeping only; the cache itself never walks the keyspace.
  async function keysOf(namespace: string): Promise<string[]> {
    const found: string[] = [];
    for await (const keys of admin.scanStream({ match: `${namespace}:*`, count: 500 }) as AsyncIterable<string[]>) found.push(...keys);
    return found;
  }

  async function deleteKeys(namespace: string): Promise<void> {
    const keys = await keysOf(namespace);
    if (keys.length > 0) await admin.del(...keys);
  }

  async function open(options: Partial<LegacyCacheOptions> = {}, at = url): Promise<LegacyCache> {
    const namespace = options.namespace ?? testNamespace();
    namespaces.push(namespace);
    return createRedisLegacyCache(at, { ttlMs: 60_000, ...options, namespace });
  }

  afterEach(async () => {
    for (const namespace of namespaces.splice(0)) await deleteKeys(namespace);
  });

  afterAll(async () => {
    await admin.quit();
  });

  legacyCacheContract('contract', (options) => open(options));

  it('leaves no keys behind once its records and index have expired', async () => {
    const namespace = testNamespace();
    const cache = await open({ ttlMs: 300, namespace });
    await cache.putMany('client', [record(1, 'Anna Müller')]);
    await cache.putMany('order', [{ ...record(2, 'ORD-2'), tags: ['client:1'] }]);
    await cache.close();
    expect((await keysOf(namespace)).length).toBeGreaterThan(5);
    await sleep(700);
    expect(await keysOf(namespace)).toEqual([]);
  });

  it('answers searches from its index, never by scanning the keyspace', async () => {
    const cache = await open();
    const commands: string[] = [];
    const onCommand = (message: unknown) => commands.push((message as { command: string }).command.toLowerCase());
    await cache.putMany('client', [record(1, 'Anna Müller'), record(2, 'Hans Berg')]);
    diagnostics.subscribe('tracing:ioredis:command:start', onCommand);
    try {
      await cache.search('client', { text: 'ann', limit: 10 });
      await cache.search('client', { text: 'a', limit: 10 });
      await cache.search('client', { limit: 10 });
    } finally {
      diagnostics.unsubscribe('tracing:ioredis:command:start', onCommand);
      await cache.close();
    }
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.filter((command) => ['scan', 'keys'].includes(command))).toEqual([]);
  });

  describe('through a relay that can cut or freeze the connection', () => {
    let relay: Relay | undefined;
    afterEach(async () => {
      await relay?.close();
      relay = undefined;
    });

    it('fails fast while Redis is away and works again, with its data, once Redis is back', async () => {
      relay = await startRelay(url);
      const cache = await open({}, relay.url);
      try {
        await cache.putMany('client', [record(1, 'Anna Müller')]);
        await relay.cut();
        await expectEveryCallToFailWithin(cache, 250);
        await relay.restore();
        await expect(eventually(() => cache.check(), 3_000)).resolves.toBeUndefined();
        expect((await cache.getMany('client', [1])).get(1)).toEqual(record(1, 'Anna Müller'));
      } finally {
        await cache.close();
      }
    });

    it('rejects calls within a second when Redis stops answering on an open connection', async () => {
      relay = await startRelay(url);
      const cache = await open({}, relay.url);
      await cache.check();
      relay.freeze();
      await expectEveryCallToFailWithin(cache, 1_000);
      expect(await outcomeWithin(cache.close(), 1_000)).toBe('resolved');
    });
  });
}

/** Retries `attempt` every 100 ms until it resolves or `ms` have passed. */
async function eventually(attempt: () => Promise<void>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

interface Relay {
  url: string;
  /** Drops every connection and stops listening: Redis is gone. */
  cut(): Promise<void>;
  /** Listens on the same port again: Redis is back. */
  restore(): Promise<void>;
  /** Keeps connections open but passes nothing on: Redis hangs. */
  freeze(): void;
  close(): Promise<void>;
}

/** A loopback TCP relay to the Redis at `target`, standing in for a network a test can break. */
async function startRelay(target: string): Promise<Relay> {
  const upstream = new URL(target);
  const sockets = new Set<net.Socket>();
  let frozen = false;
  const server = net.createServer((downstream) => {
    const up = net.connect(Number(upstream.port || 6379), upstream.hostname);
    for (const socket of [downstream, up]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        downstream.destroy();
        up.destroy();
      });
    }
    downstream.on('data', (chunk) => frozen || up.write(chunk));
    up.on('data', (chunk) => frozen || downstream.write(chunk));
  });
  const listen = async (port: number) => {
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  };
  const stop = async () => {
    if (!server.listening) return;
    const closed = once(server, 'close');
    server.close();
    sockets.forEach((socket) => socket.destroy());
    await closed;
  };
  const port = await listen(0);
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    cut: stop,
    restore: async () => void (await listen(port)),
    freeze: () => void (frozen = true),
    close: stop,
  };
}
