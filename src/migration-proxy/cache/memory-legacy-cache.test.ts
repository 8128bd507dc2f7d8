import { describe, expect, it } from '@jest/globals';
import { legacyCacheContract } from './legacy-cache.contract.js';
import { createMemoryLegacyCache } from './memory-legacy-cache.js';

legacyCacheContract('memory legacy cache', (options) => createMemoryLegacyCache(options));

describe('memory legacy cache size bound', () => {
  it('drops the least recently used record, of either resource, beyond maxEntries', async () => {
    const cache = createMemoryLegacyCache({ ttlMs: 60_000, maxEntries: 2 });
    const record = (legacyId: number) => ({ legacyId, searchText: `Record ${legacyId}`, value: { legacyId } });
    await cache.putMany('client', [record(1), record(2)]);
    await cache.getMany('client', [1]);
    await cache.putMany('order', [record(3)]);
    expect([...(await cache.getMany('client', [1, 2])).keys()]).toEqual([1]);
    expect([...(await cache.getMany('order', [3])).keys()]).toEqual([3]);
    await cache.close();
  });
});
