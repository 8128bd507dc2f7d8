import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { CachedRecord, CacheSearch, LegacyCache, LegacyCacheOptions } from './legacy-cache.js';

const client = (legacyId: number, searchText: string): CachedRecord => ({
  legacyId,
  searchText,
  value: { id: `legacy-client-${legacyId}`, name: searchText, address: { city: 'Köln' } },
});

const order = (legacyId: number, searchText: string, clientId: number): CachedRecord => ({
  legacyId,
  searchText,
  tags: [`client:${clientId}`],
  value: { id: `legacy-order-${legacyId}`, number: searchText, lines: [{ sku: 'A-1', quantity: 2 }] },
});

const idsOf = (records: CachedRecord[]) => records.map((record) => record.legacyId);

/** A random source that hands out the given values, then 0 (no jitter). */
const randomFrom = (values: number[]) => () => values.shift() ?? 0;

/**
 * The behaviour every LegacyCache adapter must show; each adapter's test file runs it. Every test
 * opens its own cache in a namespace of its own and closes it afterwards.
 */
export function legacyCacheContract(name: string, create: (options: LegacyCacheOptions) => Promise<LegacyCache> | LegacyCache): void {
  describe(name, () => {
    const opened: LegacyCache[] = [];

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((cache) => cache.close()));
    });

    async function open(options: Partial<LegacyCacheOptions> = {}): Promise<LegacyCache> {
      const cache = await create({ ttlMs: 60_000, namespace: `figdesk-test:${process.pid}:${randomUUID()}`, ...options });
      opened.push(cache);
      return cache;
    }

    async function openWith(records: CachedRecord[], resource: 'client' | 'order' = 'client') {
      const cache = await open();
      await cache.putMany(resource, records);
      return cache;
    }

    const searchIds = async (cache: LegacyCache, query: Partial<CacheSearch>, resource: 'client' | 'order' = 'client') =>
      idsOf(await cache.search(resource, { limit: 100, ...query }));

    it('answers its readiness check while it works', async () => {
      const cache = await open();
      await expect(cache.check()).resolves.toBeUndefined();
    });

    it('returns the records it was given, by legacy id, and leaves out the ones it does not hold', async () => {
      const cache = await openWith([client(1, 'Anna Müller'), client(2, 'Hans Berg')]);
      const found = await cache.getMany('client', [2, 1, 3, 2]);
      expect([...found.keys()].sort()).toEqual([1, 2]);
      expect(found.get(1)).toEqual(client(1, 'Anna Müller'));
      expect(found.get(2)).toEqual(client(2, 'Hans Berg'));
      expect((await cache.getMany('client', [])).size).toBe(0);
    });

    it('keeps its own copy: changing a record after storing or reading it does not change the cache', async () => {
      const cache = await open();
      const record = client(1, 'Anna Müller');
      await cache.putMany('client', [record]);
      record.value.name = 'changed after put';
      const read = (await cache.getMany('client', [1])).get(1);
      if (read) read.value.name = 'changed after get';
      expect((await cache.getMany('client', [1])).get(1)).toEqual(client(1, 'Anna Müller'));
    });

    it('hands values back as JSON would, so every adapter returns the same shapes', async () => {
      const cache = await openWith([{ ...client(1, 'Anna Müller'), value: { since: new Date(0), note: undefined } }]);
      expect((await cache.getMany('client', [1])).get(1)?.value).toStrictEqual({ since: '1970-01-01T00:00:00.000Z' });
      expect((await cache.search('client', { limit: 1 }))[0]?.value).toStrictEqual({ since: '1970-01-01T00:00:00.000Z' });
    });

    it('refuses a legacy id that is not a positive integer and stores nothing of that batch', async () => {
      const cache = await open();
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        await expect(cache.putMany('client', [client(7, 'Valid'), client(bad, 'Invalid')])).rejects.toThrow(RangeError);
      }
      expect((await cache.getMany('client', [7])).size).toBe(0);
    });

    it('replaces a record written again with the same id', async () => {
      const cache = await openWith([client(1, 'Anna Müller')]);
      await cache.putMany('client', [client(1, 'Anna Schmidt')]);
      expect((await cache.getMany('client', [1])).get(1)?.searchText).toBe('Anna Schmidt');
      expect(await searchIds(cache, {})).toEqual([1]);
    });

    it('forgets a deleted record for reads and searches, and deleting an unknown id is fine', async () => {
      const cache = await openWith([client(1, 'Anna Müller'), client(2, 'Anna Berg')]);
      await cache.delete('client', 1);
      await cache.delete('client', 99);
      expect([...(await cache.getMany('client', [1, 2])).keys()]).toEqual([2]);
      expect(await searchIds(cache, { text: 'anna' })).toEqual([2]);
      expect(await searchIds(cache, {})).toEqual([2]);
    });

    it('finds records whose text contains the query in any letter case', async () => {
      const cache = await openWith([client(3, 'Hans Berg'), client(2, 'JOANNA X'), client(1, 'Anna Müller')]);
      expect(await searchIds(cache, { text: 'ann' })).toEqual([1, 2]);
      expect(await searchIds(cache, { text: 'ANN' })).toEqual([1, 2]);
      expect(await searchIds(cache, { text: 'Joanna x' })).toEqual([2]);
      expect(await searchIds(cache, { text: 'MÜLLER' })).toEqual([1]);
      expect(await searchIds(cache, { text: 'anna berg' })).toEqual([]);
    });

    it('does not fold accents, as the legacy CRM does not', async () => {
      const cache = await openWith([client(1, 'Anna Müller'), client(2, 'Zoe Muller')]);
      expect(await searchIds(cache, { text: 'müller' })).toEqual([1]);
      expect(await searchIds(cache, { text: 'muller' })).toEqual([2]);
    });

    it('answers one- and two-character queries', async () => {
      const cache = await openWith([client(1, 'Anna Müller'), client(2, 'JOANNA X'), client(3, 'Hans Berg')]);
      expect(await searchIds(cache, { text: 'x' })).toEqual([2]);
      expect(await searchIds(cache, { text: 'Ü' })).toEqual([1]);
      expect(await searchIds(cache, { text: 'an' })).toEqual([1, 2, 3]);
      expect(await searchIds(cache, { text: 'NN' })).toEqual([1, 2]);
      expect(await searchIds(cache, { text: 'xa' })).toEqual([]);
    });

    it('matches characters outside the BMP and regex or LIKE specials literally', async () => {
      const cache = await openWith([
        client(1, 'Party 🎉 time'),
        client(2, 'Math 𝒜𝒷𝒸 club'),
        client(3, '100% sure'),
        client(4, 'snake_case'),
        client(5, 'a.*b pattern'),
        client(6, 'plain abc text'),
      ]);
      const cases: [string, number[]][] = [
        ['🎉', [1]], ['🎉 t', [1]], ['🎊', []],
        ['𝒷', [2]], ['𝒜𝒷', [2]], ['𝒜𝒷𝒸', [2]], ['𝒸𝒷', []],
        ['%', [3]], ['0% s', [3]], ['_', [4]], ['e_c', [4]],
        ['.', [5]], ['.*', [5]], ['a.*b', [5]], ['a%c', []], ['a_c', []],
      ];
      for (const [text, expected] of cases) {
        expect({ text, ids: await searchIds(cache, { text }) }).toEqual({ text, ids: expected });
      }
    });

    it('finds the orders of one client by tag, alone or together with text', async () => {
      const cache = await openWith(
        [order(13, 'INV-0013', 1), order(10, 'ORD-0010', 1), order(11, 'ORD-0011', 2), order(12, 'ORD-0012', 1)],
        'order',
      );
      expect(await searchIds(cache, { tag: 'client:1' }, 'order')).toEqual([10, 12, 13]);
      expect(await searchIds(cache, { tag: 'client:1', text: 'ord' }, 'order')).toEqual([10, 12]);
      expect(await searchIds(cache, { tag: 'client:2', text: '0012' }, 'order')).toEqual([]);
      expect(await searchIds(cache, { tag: 'client:3' }, 'order')).toEqual([]);
      expect(await searchIds(cache, { tag: 'client:1', limit: 2 }, 'order')).toEqual([10, 12]);
    });

    it('matches a tag exactly, never a part of it: a phone search by tag finds that number only', async () => {
      const cache = await openWith([{ ...client(1, 'Anna Müller'), tags: ['phone:4930123'] }, { ...client(2, 'Hans Berg'), tags: ['phone:49301234567'] }, client(3, 'Eva Kim')]);
      expect(await searchIds(cache, { tag: 'phone:4930123' })).toEqual([1]);
      expect(await searchIds(cache, { tag: 'phone:49301234567', text: 'hans' })).toEqual([2]);
      expect(await searchIds(cache, { tag: 'phone:49301234567', text: 'anna' })).toEqual([]);
      expect(await searchIds(cache, { tag: 'phone:493012345' })).toEqual([]);
    });

    it('pages with afterLegacyId and limit in id order, and the pages add up to every match', async () => {
      const ids = Array.from({ length: 23 }, (_, i) => ((i * 7) % 23) * 3 + 1);
      const cache = await openWith([...ids.map((id) => client(id, `Pager ${id}`)), client(500, 'Other')]);
      for (const query of [{ text: 'pager' }, { text: 'p' }, {}]) {
        const pages: number[][] = [];
        for (let after = 0; ; ) {
          const page = await searchIds(cache, { ...query, afterLegacyId: after, limit: 5 });
          pages.push(page);
          if (page.length < 5) break;
          after = page.at(-1) ?? 0;
        }
        expect(pages.slice(0, -1).every((page) => page.length === 5)).toBe(true);
        const expected = [...ids].sort((a, b) => a - b).concat('text' in query ? [] : [500]);
        expect(pages.flat()).toEqual(expected);
      }
    });

    it('lists every record of a resource in id order when neither text nor tag is given', async () => {
      const cache = await openWith([client(30, 'C'), client(10, 'A'), client(20, 'B')]);
      await cache.putMany('order', [order(15, 'ORD-15', 10)]);
      expect(await searchIds(cache, {})).toEqual([10, 20, 30]);
      expect(await searchIds(cache, { limit: 2 })).toEqual([10, 20]);
      expect(await searchIds(cache, { afterLegacyId: 10 })).toEqual([20, 30]);
      expect(await searchIds(cache, { limit: 0 })).toEqual([]);
    });

    it('fills a page past records deleted in between', async () => {
      const cache = await openWith(Array.from({ length: 40 }, (_, i) => client(i + 1, `Filler ${i + 1}`)));
      for (let id = 1; id <= 40; id += 2) await cache.delete('client', id);
      const evenIds = Array.from({ length: 20 }, (_, i) => 2 * (i + 1));
      expect(await searchIds(cache, { text: 'filler', limit: 16 })).toEqual(evenIds.slice(0, 16));
      expect(await searchIds(cache, { limit: 16 })).toEqual(evenIds.slice(0, 16));
    });

    it('lets records expire after their TTL, however the jitter falls, and fills pages past expired ones', async () => {
      const cache = await open({ ttlMs: 300, random: randomFrom([0, 0.999]) });
      await cache.putMany('client', [client(1, 'Short lived'), client(3, 'Short lived')]);
      expect((await cache.getMany('client', [1, 3])).size).toBe(2);
      await sleep(700);
      expect((await cache.getMany('client', [1, 3])).size).toBe(0);
      expect(await searchIds(cache, { text: 'short' })).toEqual([]);
      expect(await searchIds(cache, {})).toEqual([]);
      await cache.putMany('client', [client(2, 'Short lived again'), client(4, 'Short lived again')]);
      expect(await searchIds(cache, { text: 'short', limit: 2 })).toEqual([2, 4]);
      expect(await searchIds(cache, { limit: 2 })).toEqual([2, 4]);
    });

    it('gives each record its own jitter, so records written together do not expire together', async () => {
      // Jitter 0 keeps the full 2000 ms; jitter 1 takes 20% off: 1600 ms.
      const cache = await open({ ttlMs: 2_000, random: randomFrom([0, 1]) });
      await cache.putMany('client', [client(1, 'Full TTL'), client(2, 'Shortest TTL')]);
      await sleep(1_800);
      expect([...(await cache.getMany('client', [1, 2])).keys()]).toEqual([1]);
    });

    it('keeps clients and orders apart: a client and an order with the same id do not collide', async () => {
      const cache = await open();
      await cache.putMany('client', [client(5, 'Five Client')]);
      await cache.putMany('order', [order(5, 'ORD-0005', 5)]);
      expect((await cache.getMany('client', [5])).get(5)?.searchText).toBe('Five Client');
      expect((await cache.getMany('order', [5])).get(5)?.searchText).toBe('ORD-0005');
      expect(await searchIds(cache, { text: 'five' }, 'order')).toEqual([]);
      expect(await searchIds(cache, { tag: 'client:5' }, 'client')).toEqual([]);
      await cache.delete('client', 5);
      expect((await cache.getMany('order', [5])).size).toBe(1);
    });

    it('keeps caches with different namespaces apart', async () => {
      const first = await openWith([client(1, 'Anna Müller')]);
      const second = await open();
      expect((await second.getMany('client', [1])).size).toBe(0);
      expect(await searchIds(second, { text: 'anna' })).toEqual([]);
      expect(await searchIds(first, { text: 'anna' })).toEqual([1]);
    });

    it('never returns a record that does not match, even when an old index entry still points to it', async () => {
      const cache = await open();
      await cache.putMany('order', [order(1, 'Old Name', 1)]);
      await cache.putMany('order', [order(1, 'New Name', 2)]);
      expect(await searchIds(cache, { text: 'old' }, 'order')).toEqual([]);
      expect(await searchIds(cache, { text: 'o' }, 'order')).toEqual([]);
      expect(await searchIds(cache, { tag: 'client:1' }, 'order')).toEqual([]);
      expect(await searchIds(cache, { text: 'new', tag: 'client:2' }, 'order')).toEqual([1]);
    });
  });
}
