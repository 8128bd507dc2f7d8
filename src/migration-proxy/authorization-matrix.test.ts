import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { legacyPublicId } from '../platform/ids/legacy-public-id.js';
import { documentedOperations, expectCallAuthorised, matrixCases, matrixTokens, operationsOf, type MatrixRow, type MatrixTokens } from '../../test/support/authorization-matrix.js';
import { startStranglerSystem } from '../../test/support/strangler.js';
import type { TestSystem } from '../../test/support/system.js';

// The expected authorisation of the edge's clients, orders and admin routes, written out by hand.
// Intake (the bots' and the ESB's service accounts) may only list and search clients.
const MATRIX: MatrixRow[] = [
  { method: 'get', path: '/api/v1/clients', roles: ['agent', 'manager', 'intake'] },
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
let tokens: MatrixTokens;
// Each edit acts on a legacy record of its own, so If-Match "1" is always current.
let nextLegacy = 0;

beforeAll(async () => {
  // A slow back-fill: the matrix only starts it.
  t = await startStranglerSystem({ BACKFILL_RATE: '1' });
  tokens = await matrixTokens(t.keycloak);
});
afterAll(() => t?.stop());

describe('authorisation matrix of the edge (clients, orders, admin)', () => {
  it('covers every clients, orders and admin route the API document lists', async () => {
    const document = (await request(t.edge).get('/api/v1/openapi.json').expect(200)).body;
    // The edge's own admin routes; other /admin paths pass through to a service, whose matrix covers them.
    expect(operationsOf(MATRIX)).toEqual(documentedOperations(document, /^\/api\/v1\/(clients|orders|admin\/(routes|backfills))/));
  });

  it.each(matrixCases(MATRIX))('%s as %s', async (_name, caller, row) => {
    nextLegacy += 1;
    const kind = row.path.startsWith('/api/v1/orders') ? 'order' : 'client';
    const url = row.path.replace('{id}', legacyPublicId(kind, (kind === 'order' ? 500_000 : 100_000) + nextLegacy)).replace('{resource}', 'orders');
    await expectCallAuthorised(t.edge, url, caller, row, tokens);
  });
});
