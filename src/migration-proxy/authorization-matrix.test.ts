import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { legacyPublicId } from '../platform/ids/legacy-public-id.js';
import { documentedOperations, expectAuthorisation, matrixCases, operationsOf, type Caller, type MatrixRow } from '../../test/support/authorization-matrix.js';
import { startStranglerSystem } from '../../test/support/strangler.js';
import type { TestSystem } from '../../test/support/system.js';

// The expected authorisation of the edge's clients, orders and admin routes, written out by hand.
const MATRIX: MatrixRow[] = [
  { method: 'get', path: '/api/v1/clients', roles: ['agent', 'manager'] },
  { method: 'post', path: '/api/v1/clients', roles: ['agent'], body: { name: 'Matrix Client' } },
  { method: 'get', path: '/api/v1/clients/{id}', roles: ['agent', 'manager'] },
  { method: 'patch', path: '/api/v1/clients/{id}', roles: ['agent'], body: { phone: '+1 555 0100' } },
  { method: 'get', path: '/api/v1/orders', roles: ['agent', 'manager'] },
  { method: 'post', path: '/api/v1/orders', roles: ['agent'], body: { client_id: legacyPublicId('client', 100_001), total: '10.00' } },
  { method: 'get', path: '/api/v1/orders/{id}', roles: ['agent', 'manager'] },
  { method: 'patch', path: '/api/v1/orders/{id}', roles: ['agent'], body: { status: 'paid' } },
  { method: 'get', path: '/api/v1/admin/routes', roles: [] },
  { method: 'put', path: '/api/v1/admin/routes/{resource}', roles: [], body: { mode: 'merge' } },
  { method: 'post', path: '/api/v1/admin/backfills/{resource}', roles: [] },
  { method: 'get', path: '/api/v1/admin/backfills/{resource}', roles: [] },
];

let t: TestSystem;
const tokens = {} as Record<Exclude<Caller, 'anonymous'>, string>;
// Each edit acts on a legacy record of its own, so If-Match "1" is always current.
let nextLegacy = 0;

beforeAll(async () => {
  // A slow back-fill: the matrix only starts it.
  t = await startStranglerSystem({ BACKFILL_RATE: '1' });
  for (const role of ['agent', 'manager', 'admin', 'intake'] as const) tokens[role] = await t.keycloak.sign({ roles: [role], username: `${role}-matrix` });
});
afterAll(() => t?.stop());

describe('authorisation matrix of the edge (clients, orders, admin)', () => {
  it('covers every clients, orders and admin route the API document lists', async () => {
    const document = (await request(t.edge).get('/api/v1/openapi.json').expect(200)).body;
    expect(operationsOf(MATRIX)).toEqual(documentedOperations(document, /^\/api\/v1\/(clients|orders|admin)/));
  });

  it.each(matrixCases(MATRIX))('%s as %s', async (_name, caller, row) => {
    nextLegacy += 1;
    const kind = row.path.startsWith('/api/v1/orders') ? 'order' : 'client';
    const url = row.path.replace('{id}', legacyPublicId(kind, (kind === 'order' ? 500_000 : 100_000) + nextLegacy)).replace('{resource}', 'orders');
    const call = request(t.edge)[row.method](url).set('If-Match', '"1"');
    if (caller !== 'anonymous') call.set('Authorization', `Bearer ${tokens[caller]}`);
    const response = row.body ? await call.send(row.body) : await call;
    expectAuthorisation(caller, row, response.status);
  });
});
