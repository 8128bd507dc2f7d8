import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { legacyPublicId } from '../platform/ids/legacy-public-id.js';
import { allPages } from '../../test/support/helpdesk.js';
import { startTestSystem, type TestSystem } from '../../test/support/system.js';

let t: TestSystem;
let agentToken: string;
let managerToken: string;
const api = () => request(t.system.services.orders.url);
const asAgent = <T extends request.Test>(test: T) => test.set('authorization', `Bearer ${agentToken}`);
let migratorToken: string;
const asMigrator = <T extends request.Test>(test: T) => test.set('authorization', `Bearer ${migratorToken}`);
// Legacy fields are the migration proxy's: its service account holds role migrator.
const create = (body: object) => (('legacy_id' in body || 'number' in body) ? asMigrator : asAgent)(api().post('/api/v1/orders').send(body));
const rowCount = async () => Number((await t.database.knex.withSchema('orders').table('orders').count({ n: '*' }))[0]?.n);
const client = uuidv7();
const otherClient = legacyPublicId('client', 100_007);

beforeAll(async () => {
  t = await startTestSystem();
  agentToken = await t.keycloak.sign({ roles: ['agent'], username: 'agent1' });
  managerToken = await t.keycloak.sign({ roles: ['manager'], username: 'manager1' });
  migratorToken = await t.keycloak.sign({ roles: ['agent', 'migrator'], username: 'service-account-helpdesk-migration' });
});
afterAll(() => t?.stop());

describe('orders service', () => {
  it('numbers native orders, keeps money exact, and edits with If-Match', async () => {
    const { body: order, headers } = await create({ client_id: client, total: '1999.90' }).expect(201);
    expect(order).toMatchObject({ number: expect.stringMatching(/^ORD-\d{6}$/), client_id: client, status: 'open', total: '1999.90', currency: 'EUR', legacy_id: null, version: 1 });
    expect(headers.location).toBe(`/api/v1/orders/${order.id}`);
    await asAgent(api().patch(`/api/v1/orders/${order.id}`).send({ status: 'paid' })).expect(428);
    const { body: paid } = await asAgent(api().patch(`/api/v1/orders/${order.id}`).set('if-match', '"1"').send({ status: 'paid' })).expect(200);
    expect(paid).toMatchObject({ status: 'paid', version: 2 });
    await asAgent(api().patch(`/api/v1/orders/${order.id}`).set('if-match', '"1"').send({ status: 'shipped' })).expect(412);
    const { body: read } = await asAgent(api().get(`/api/v1/orders/${order.id}`)).expect(200);
    expect(read.status).toBe('paid');
  });

  it('finds orders by number, part of it, and client', async () => {
    await create({ client_id: otherClient, number: 'SO-0500123', total: '10', legacy_id: 500_123 }).expect(201);
    await create({ client_id: otherClient, number: 'SO-0500124', total: '20.5', currency: 'USD' }).expect(201);
    const numbers = async (query: object) => (await asAgent(api().get('/api/v1/orders').query(query)).expect(200)).body.data.map((order: { number: string }) => order.number).sort();
    expect(await numbers({ number: 'SO-0500123' })).toEqual(['SO-0500123']);
    expect(await numbers({ q: 'so-05001' })).toEqual(['SO-0500123', 'SO-0500124']);
    expect(await numbers({ client_id: otherClient })).toEqual(['SO-0500123', 'SO-0500124']);
    expect(await numbers({ legacy_id: '500123' })).toEqual(['SO-0500123']);
  });

  it('a migrated order keeps the public id of its legacy record, once', async () => {
    const { body: copy } = await create({ client_id: otherClient, number: 'SO-0500200', total: '5.00', legacy_id: 500_200 }).expect(201);
    expect(copy.id).toBe(legacyPublicId('order', 500_200));
    const before = await rowCount();
    await create({ client_id: otherClient, number: 'SO-0500201', total: '5.00', legacy_id: 500_200 }).expect(409);
    await create({ client_id: otherClient, number: 'SO-0500200', total: '5.00' }).expect(409);
    expect(await rowCount()).toBe(before);
    // An agent may not take a legacy number or id: it would block that order's migration.
    await asAgent(api().post('/api/v1/orders').send({ client_id: otherClient, number: 'SO-0500078', total: '5.00' })).expect(403);
    await asAgent(api().post('/api/v1/orders').send({ client_id: otherClient, total: '5.00', legacy_id: 500_078 })).expect(403);
    expect(await rowCount()).toBe(before);
  });

  it('pages through every order once, in id order', async () => {
    for (let index = 0; index < 5; index += 1) await create({ client_id: client, total: `${index}.00` }).expect(201);
    const all = await allPages<{ id: string }>((cursor) => asAgent(api().get('/api/v1/orders').query({ limit: 2, ...(cursor ? { cursor } : {}) })));
    const ids = all.map((order) => order.id);
    expect(ids.length).toBe(await rowCount());
    expect([...new Set(ids)].sort()).toEqual(ids);
  });

  it('refuses bad input with 400 problem+json and writes nothing; managers only read', async () => {
    const before = await rowCount();
    for (const body of [{}, { client_id: 'x', total: '1' }, { client_id: client, total: '-1' }, { client_id: client, total: '1.234' }, { client_id: client, total: 12 }, { client_id: client, total: '1', currency: 'eur' }, { client_id: client, total: '1', status: 'lost' }]) {
      const response = await create(body).expect(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    await asAgent(api().get('/api/v1/orders').query({ client_id: 'nope' })).expect(400);
    await api().post('/api/v1/orders').set('authorization', `Bearer ${managerToken}`).send({ client_id: client, total: '1' }).expect(403);
    await api().get('/api/v1/orders').expect(401);
    expect(await rowCount()).toBe(before);
  });
});
