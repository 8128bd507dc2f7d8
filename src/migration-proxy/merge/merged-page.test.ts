import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { legacyPublicId } from '../../platform/ids/legacy-public-id.js';
import { LegacyUnavailable } from '../legacy/legacy-gateway.js';
import { mergedPage, type MergeCursor, type MergedPage, type MergeSources } from './merged-page.js';

interface Row {
  id: string;
  legacy_id: number;
  name: string;
}

/** Native ids: UUIDv7-like, sorting after every legacy-born id, in creation order. */
const nativeId = (n: number) => `0190${n.toString(16).padStart(4, '0')}-0000-7000-8000-000000000000`;
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * A legacy system and our service in memory, with the ledger, as the merge sees them. The
 * filter is "name contains x"; a migrated copy may be renamed (in or out of the filter).
 */
function world(legacy: { legacyId: number; matches: boolean }[], natives: boolean[]) {
  const legacyRows: Row[] = legacy.map(({ legacyId, matches }) => ({ id: legacyPublicId('client', legacyId), legacy_id: legacyId, name: matches ? 'x' : 'y' }));
  const ours = new Map<string, Row>(natives.map((matches, n) => [nativeId(n), { id: nativeId(n), legacy_id: 0, name: matches ? 'x' : 'y' }]));
  const ledger = new Map<number, Date>();
  let clock = 1_000_000;
  const sources = (options: { legacyDown?: () => boolean } = {}): MergeSources<Row, Row> => ({
    ours: async (afterId, count) => {
      const after = [...ours.values()].filter((row) => row.name === 'x' && (afterId === null || row.id > afterId)).sort(byId);
      return { records: after.slice(0, count), more: after.length > count };
    },
    legacy: async (offset, count) => {
      if (options.legacyDown?.()) throw new LegacyUnavailable('timeout');
      const matching = legacyRows.filter((row) => row.name === 'x');
      return { records: matching.slice(offset, offset + count), more: matching.length > offset + count };
    },
    migrated: async (ids) => new Map(ids.filter((id) => ledger.has(id)).map((id) => [id, ledger.get(id) as Date])),
    cached: async () => [],
    now: () => clock,
  });
  return {
    sources,
    /** Migrates a legacy record now, its copy named `name` (as legacy has it, unless renamed). */
    migrate(index: number, rename?: 'x' | 'y') {
      const row = legacyRows[index] as Row;
      if (ledger.has(row.legacy_id)) return;
      ours.set(row.id, { ...row, name: rename ?? row.name });
      ledger.set(row.legacy_id, new Date(clock));
    },
    tick: (ms: number) => {
      clock += ms;
    },
    expected: () => {
      const ids = new Set([...ours.values()].filter((row) => row.name === 'x').map((row) => row.id));
      for (const row of legacyRows) if (row.name === 'x' && !ledger.has(row.legacy_id)) ids.add(row.id);
      return [...ids].sort();
    },
  };
}

const legacyArb = fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 60 }).chain((ids) =>
  fc.tuple(...[...ids].sort((a, b) => a - b).map((legacyId) => fc.boolean().map((matches) => ({ legacyId, matches })))),
);

async function allPages(sources: MergeSources<Row, Row>, limit: number, between: (page: number) => void) {
  const seen: string[] = [];
  let cursor: MergeCursor | null = { afterId: null, legacyOffset: 0 };
  for (let page = 0; cursor && page < 500; page++) {
    const result: MergedPage<Row, Row> = await mergedPage(sources, cursor, limit);
    seen.push(...result.items.map((item) => item.record.id));
    cursor = result.next;
    between(page);
  }
  return seen;
}

describe('merged pagination', () => {
  it('hands out every record exactly once, in id order, while records migrate between page fetches', async () => {
    await fc.assert(
      fc.asyncProperty(
        legacyArb,
        fc.array(fc.boolean(), { maxLength: 30 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom<'x' | 'y' | undefined>(undefined, undefined, 'x', 'y')), { maxLength: 40 }),
        fc.array(fc.array(fc.nat(), { maxLength: 5 }), { maxLength: 40 }),
        async (legacy, natives, limit, before, during) => {
          const w = world(legacy, natives);
          // Migrated long ago, some renamed in or out of the filter since.
          for (const [index, rename] of before) if (legacy.length) w.migrate(index % legacy.length, rename);
          w.tick(60_000);
          const seen = await allPages(w.sources(), limit, (page) => {
            // Migrations between two fetches copy records as legacy has them.
            for (const index of during[page] ?? []) if (legacy.length) w.migrate(index % legacy.length);
            w.tick(5);
          });
          expect(seen).toEqual(w.expected());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never repeats a record and never invents one while legacy fails on some pages', async () => {
    await fc.assert(
      fc.asyncProperty(legacyArb, fc.array(fc.boolean(), { maxLength: 20 }), fc.integer({ min: 1, max: 8 }), fc.array(fc.boolean(), { maxLength: 60 }), async (legacy, natives, limit, failures) => {
        const w = world(legacy, natives);
        let call = 0;
        const seen = await allPages(w.sources({ legacyDown: () => failures[call++] ?? false }), limit, () => undefined);
        expect(new Set(seen).size).toBe(seen.length);
        const expected = new Set(w.expected());
        expect(seen.filter((id) => !expected.has(id))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('says which source answered how, and serves cached legacy records marked stale when legacy fails', async () => {
    const w = world([{ legacyId: 1, matches: true }, { legacyId: 2, matches: true }], [true]);
    const cachedRow = { id: legacyPublicId('client', 2), legacy_id: 2, name: 'x' };
    const sources = { ...w.sources({ legacyDown: () => true }), cached: async () => [cachedRow] };
    const page = await mergedPage(sources, { afterId: null, legacyOffset: 0 }, 10);
    expect(page.sources).toEqual({ ours: 'ok', legacy: 'timeout' });
    expect(page.items).toEqual([
      { source: 'legacy', record: cachedRow, stale: true },
      { source: 'new', record: expect.objectContaining({ id: nativeId(0) }) },
    ]);
  });

  it('in new-only mode lists our records alone, in legacy-only mode legacy alone', async () => {
    const w = world([{ legacyId: 5, matches: true }], [true]);
    const { legacy, ...newOnly } = w.sources();
    const { ours, migrated, ...legacyOnly } = w.sources();
    expect((await mergedPage(newOnly, { afterId: null, legacyOffset: 0 }, 10)).items.map((item) => item.source)).toEqual(['new']);
    expect((await mergedPage(legacyOnly, { afterId: null, legacyOffset: 0 }, 10)).items.map((item) => item.source)).toEqual(['legacy']);
    expect([legacy, ours, migrated].every(Boolean)).toBe(true);
  });
});
