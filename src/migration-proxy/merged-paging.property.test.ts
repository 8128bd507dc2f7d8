import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import { legacyPublicId } from '../platform/ids/legacy-public-id.js';
import { allPages } from '../../test/support/helpdesk.js';
import { startStranglerSystem, strangler } from '../../test/support/strangler.js';
import type { TestSystem } from '../../test/support/system.js';

const CUSTOMERS = 120;
const FILTERS = [undefined, 'a', 'er'] as const;

let t: TestSystem;
let s: ReturnType<typeof strangler>;
let agent: Awaited<ReturnType<ReturnType<typeof strangler>['as']>>;
let names: Map<number, string>;

beforeAll(async () => {
  t = await startStranglerSystem({ LEGACY_CRM_CUSTOMERS: String(CUSTOMERS), LEGACY_CRM_ORDERS: '10' });
  s = strangler(t);
  agent = await s.as(['agent']);
  names = new Map();
  for (let id = 100_001; id <= 100_000 + CUSTOMERS; id++) names.set(id, (await s.legacy.customer(id)).fullName);
});
afterAll(() => t?.stop());

/** What the merged list must hold now: our matches, and legacy's matches not migrated. */
async function expectedIds(filter: string | undefined): Promise<string[]> {
  const token = await s.token(['agent']);
  const ours = await allPages<{ id: string }>((cursor) =>
    request(t.system.services.clients.url).get('/api/v1/clients').query({ limit: 200, ...(filter ? { name: filter } : {}), ...(cursor ? { cursor } : {}) }).set('Authorization', `Bearer ${token}`),
  );
  const migrated = new Set((await s.ledger('client').where({ state: 'migrated' })).map((row: { legacy_id: number }) => row.legacy_id));
  const legacy = [...names].filter(([id, name]) => !migrated.has(id) && (!filter || name.toLowerCase().includes(filter))).map(([id]) => legacyPublicId('client', id));
  return [...new Set([...ours.map((item) => item.id), ...legacy])].sort();
}

// Migrations between fetches touch records both sides match alike (no accents), so the expected
// set does not depend on when they happen.
const plain = () => [...names].filter(([, name]) => /^[A-Za-z ]+$/.test(name)).map(([id]) => id);

describe('merged list paging against the real services', () => {
  it('concatenated pages hold every record exactly once while records migrate and are created between fetches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FILTERS),
        fc.integer({ min: 1, max: 25 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 12 }),
        async (filter, limit, between) => {
          const candidates = plain();
          let step = 0;
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let pages = 0; pages < 500; pages++) {
            const { body } = await agent.listClients({ limit, ...(filter ? { name: filter } : {}), ...(cursor ? { cursor } : {}) }).expect(200);
            expect(body.meta.sources.legacy).toBe('ok');
            seen.push(...body.data.map((item: { id: string }) => item.id));
            if (!body.page.next_cursor) break;
            cursor = body.page.next_cursor;
            const action = between[step++];
            if (!action) continue;
            const [pick, migrate] = action;
            // A migration by edit (name unchanged), or a new native client that sorts last.
            if (migrate) await agent.patchClient(legacyPublicId('client', candidates[pick % candidates.length] as number), 1, { phone: '+1 555 0199' });
            else await agent.createClient({ name: `Native ${filter ?? ''} ${pick}` }).expect(201);
          }
          expect(new Set(seen).size).toBe(seen.length);
          expect(seen).toEqual(await expectedIds(filter));
        },
      ),
      { numRuns: 8 },
    );
  });
});
