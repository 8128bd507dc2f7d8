import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import knexFactory from 'knex';
import { schemaMigrations } from '../../../migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { migrateSchema } from '../../platform/db/index.js';
import { listIncidents, listIncidentsPlan, sortValue, type ListOptions } from './incident-query.js';
import type { IncidentRow, Status } from './incident.repository.js';

// Text searches in an order an index walks (by date; open incidents by due time) walk a bounded
// number of rows, then ask the GIN index (incident-query.ts). With the walk bounded to a few
// rows, the searches here take either way, and the pages must come out as the filters and the
// order say, whichever it took.

const WORDS = ['printer', 'vpn', 'mailbox', 'jammed', 'down', 'slow'];
const CATEGORIES = ['hardware', 'network', 'access'];
const CLIENTS = ['client-1', 'client-2'];
const STATUSES: Status[] = ['new', 'in_progress', 'waiting_customer', 'resolved', 'closed', 'cancelled'];
const OPEN: Status[] = ['new', 'in_progress', 'waiting_customer'];
// Few distinct instants, so rows tie on the sort column and the id decides.
const instant = (n: number) => new Date(Date.UTC(2026, 10, 1) + n * 60_000);

interface Seeded {
  id: string;
  words: Set<string>;
  category: string;
  client_id: string | null;
  status: Status;
  created_at: Date;
  updated_at: Date;
  resolution_due_at: Date;
}

let db: TestDatabase;
const seeded: Seeded[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateSchema(db.knex, 'incidents', schemaMigrations.incidents);
  const random = fc.sample(
    fc.record({ title: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 3 }), description: fc.array(fc.constantFrom(...WORDS), { maxLength: 2 }), category: fc.constantFrom(...CATEGORIES), client: fc.constantFrom(...CLIENTS, null), status: fc.constantFrom(...STATUSES), created: fc.nat(12), updated: fc.nat(12), due: fc.nat(12) }),
    { numRuns: 60, seed: 7 },
  );
  for (const incident of random) {
    const row = { id: randomUUID(), category: incident.category, client_id: incident.client, status: incident.status, created_at: instant(incident.created), updated_at: instant(incident.created + incident.updated), resolution_due_at: instant(incident.due) };
    seeded.push({ ...row, words: new Set([...incident.title, ...incident.description]) });
    await db.knex.withSchema('incidents').table('incidents').insert({
      ...row,
      title: incident.title.join(' '),
      description: incident.description.join(' '),
      channel: 'web',
      priority: 'P3',
      created_by: JSON.stringify({ id: 'seed', username: 'seed' }),
      first_response_due_at: row.created_at,
    });
  }
});
afterAll(async () => {
  await db?.close();
});

const sortKeyOf = (incident: Seeded, key: 'created_at' | 'updated_at' | 'due') => (key === 'due' ? incident.resolution_due_at : incident[key]).getTime();

/** Every page, following each page's last row as the API's cursor does. */
async function allPages(options: Omit<ListOptions, 'after'>): Promise<string[]> {
  const ids: string[] = [];
  let after: [string, string] | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const rows: IncidentRow[] = await listIncidents(db.knex, { ...options, after });
    ids.push(...rows.slice(0, options.limit).map((row) => row.id));
    if (rows.length <= options.limit) return ids;
    const last = rows[options.limit - 1] as IncidentRow;
    after = [sortValue(last, options.sort.key), last.id];
  }
  throw new Error('more pages than incidents');
}

describe('a text search', () => {
  it('pages through exactly the matching incidents in order, whether the bounded walk or the GIN index answered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          words: fc.uniqueArray(fc.constantFrom(...WORDS, 'absent'), { minLength: 1, maxLength: 2 }),
          key: fc.constantFrom('created_at' as const, 'updated_at' as const, 'due' as const),
          // Open statuses only (or none) half the time: the due-time index covers open incidents.
          status: fc.option(fc.oneof(fc.uniqueArray(fc.constantFrom(...OPEN), { minLength: 1 }), fc.uniqueArray(fc.constantFrom(...STATUSES), { minLength: 1 })), { nil: undefined }),
          direction: fc.constantFrom('asc' as const, 'desc' as const),
          limit: fc.integer({ min: 1, max: 8 }),
          textWalkRows: fc.integer({ min: 1, max: 80 }),
          categories: fc.option(fc.uniqueArray(fc.constantFrom(...CATEGORIES), { minLength: 1, maxLength: 2 }), { nil: undefined }),
          client: fc.option(fc.constantFrom(...CLIENTS), { nil: undefined }),
          createdFrom: fc.option(fc.nat(12), { nil: undefined }),
        }),
        async (search) => {
          const createdFrom = search.createdFrom === undefined ? undefined : instant(search.createdFrom);
          const expected = seeded
            .filter((incident) => search.words.every((word) => incident.words.has(word)))
            .filter((incident) => search.categories === undefined || search.categories.includes(incident.category))
            .filter((incident) => search.client === undefined || incident.client_id === search.client)
            .filter((incident) => search.status === undefined || search.status.includes(incident.status))
            .filter((incident) => createdFrom === undefined || incident.created_at >= createdFrom)
            .sort((a, b) => sortKeyOf(a, search.key) - sortKeyOf(b, search.key) || (a.id < b.id ? -1 : 1))
            .map((incident) => incident.id);
          if (search.direction === 'desc') expected.reverse();
          const found = await allPages({
            filter: { text: search.words.join(' '), category: search.categories, clientId: search.client, status: search.status, createdFrom },
            sort: { key: search.key, direction: search.direction },
            limit: search.limit,
            now: new Date(),
            textWalkRows: search.textWalkRows,
          });
          expect(found).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is a bounded walk first, and the GIN index only when the walk did not fill the page', () => {
    const options: ListOptions = { filter: { text: 'printer' }, sort: { key: 'created_at', direction: 'desc' }, limit: 50, now: new Date() };
    const plan = listIncidentsPlan(db.knex, options);
    expect(plan.first.toSQL().sql).toMatch(/from \(select "i"\.\* from "incidents"\."incidents" as "i" order by "i"\."created_at" desc, "i"\."id" desc limit \?\) as "i"/);
    expect(plan.fromIndex).toBeDefined();
    // Open incidents by due time walk the due-time index, bounded too.
    const queue = listIncidentsPlan(db.knex, { ...options, filter: { text: 'printer', status: ['new', 'in_progress'], assignee: 'agent-7' }, sort: { key: 'due', direction: 'asc' } });
    expect(queue.first.toSQL().sql).toMatch(/from \(select "i"\.\* from "incidents"\."incidents" as "i" where "i"\."status" in \(\?, \?\) and "i"\."assignee_id" = \? order by "i"\."resolution_due_at" asc, "i"\."id" asc limit \?\) as "i"/);
    // Orders no index walks for the filter: one statement, as PostgreSQL plans it.
    expect(listIncidentsPlan(db.knex, { ...options, sort: { key: 'due', direction: 'asc' } }).fromIndex).toBeUndefined();
    expect(listIncidentsPlan(db.knex, { ...options, sort: { key: 'priority', direction: 'asc' } }).fromIndex).toBeUndefined();
    expect(listIncidentsPlan(db.knex, { ...options, filter: {} }).fromIndex).toBeUndefined();
  });

  it('walks on from the cursor: every full page of a frequent word costs one statement', async () => {
    const statements: string[] = [];
    const count = (query: { sql: string }) => statements.push(query.sql);
    db.knex.on('query', count);
    try {
      const options: ListOptions = { filter: { text: 'printer' }, sort: { key: 'created_at', direction: 'desc' }, limit: 3, now: new Date(), textWalkRows: 30 };
      const matching = seeded.filter((incident) => incident.words.has('printer')).length;
      let after: [string, string] | undefined;
      for (let page = 0; page < Math.floor(matching / 3) - 1; page++) {
        statements.length = 0;
        const rows = await listIncidents(db.knex, { ...options, after });
        expect({ page, statements: statements.length, rows: rows.length }).toEqual({ page, statements: 1, rows: 4 });
        const last = rows[2] as IncidentRow;
        after = [sortValue(last, 'created_at'), last.id];
      }
    } finally {
      db.knex.off('query', count);
    }
  });

  it('leaves index scans on for the connection afterwards', async () => {
    // One connection, so the setting read is the one the search ran on (PGlite has only one).
    const single = db.kind === 'pglite' ? db.knex : knexFactory({ client: 'pg', connection: db.url, pool: { min: 1, max: 1 } });
    try {
      const rows = await listIncidents(single, { filter: { text: 'absent' }, sort: { key: 'created_at', direction: 'desc' }, limit: 5, now: new Date(), textWalkRows: 2 });
      expect(rows).toEqual([]);
      const { rows: settings } = await single.raw('show enable_indexscan');
      expect(settings[0].enable_indexscan).toBe('on');
    } finally {
      if (single !== db.knex) await single.destroy();
    }
  });
});
