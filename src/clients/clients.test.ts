import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { legacyPublicId } from '../platform/ids/legacy-public-id.js';
import { documentedOperations, expectCallAuthorised, matrixCases, matrixTokens, operationsOf, type MatrixRow, type MatrixTokens } from '../../test/support/authorization-matrix.js';
import { allPages } from '../../test/support/helpdesk.js';
import { startTestSystem, type TestSystem } from '../../test/support/system.js';

let t: TestSystem;
let agentToken: string;
const api = () => request(t.system.services.clients.url);
const asAgent = <T extends request.Test>(test: T) => test.set('authorization', `Bearer ${agentToken}`);
let migratorToken: string;
const asMigrator = <T extends request.Test>(test: T) => test.set('authorization', `Bearer ${migratorToken}`);
// Legacy fields are the migration proxy's: its service account holds role migrator.
const create = (body: object) => (('legacy_id' in body || 'number' in body) ? asMigrator : asAgent)(api().post('/api/v1/clients').send(body));
const rowCount = async () => Number((await t.database.knex.withSchema('clients').table('clients').count({ n: '*' }))[0]?.n);

beforeAll(async () => {
  t = await startTestSystem();
  agentToken = await t.keycloak.sign({ roles: ['agent'], username: 'agent1' });
  migratorToken = await t.keycloak.sign({ roles: ['agent', 'migrator'], username: 'service-account-helpdesk-migration' });
});
afterAll(() => t?.stop());

describe('clients service', () => {
  it('creates, reads and edits a client with If-Match', async () => {
    const { body: created, headers } = await create({ name: 'Zoë Ångström', phone: '+49 30 1234567', email: 'zoe@example.com' }).expect(201);
    expect(created).toMatchObject({ name: 'Zoë Ångström', legacy_id: null, version: 1 });
    expect(headers.location).toBe(`/api/v1/clients/${created.id}`);
    const { headers: read } = await asAgent(api().get(`/api/v1/clients/${created.id}`)).expect(200);
    expect(read.etag).toBe('"1"');
    await asAgent(api().patch(`/api/v1/clients/${created.id}`).send({ name: 'Zoë A.' })).expect(428);
    const { body: changed } = await asAgent(api().patch(`/api/v1/clients/${created.id}`).set('if-match', '"1"').send({ name: 'Zoë A.' })).expect(200);
    expect(changed).toMatchObject({ name: 'Zoë A.', version: 2 });
    const stale = await asAgent(api().patch(`/api/v1/clients/${created.id}`).set('if-match', '"1"').send({ name: 'Lost edit' })).expect(412);
    expect(stale.headers['content-type']).toMatch(/application\/problem\+json/);
    await asAgent(api().patch('/api/v1/clients/0190b6a4-0000-7000-8000-000000000000').set('if-match', '"1"').send({ name: 'x' })).expect(404);
  });

  it('searches names ignoring case and accents, and takes % and _ literally', async () => {
    await create({ name: 'José Núñez' }).expect(201);
    await create({ name: 'JOSE NUNEZ-Ortega' }).expect(201);
    await create({ name: '100% Widgets_Ltd' }).expect(201);
    const names = async (name: string) => (await asAgent(api().get('/api/v1/clients').query({ name })).expect(200)).body.data.map((client: { name: string }) => client.name).sort();
    expect(await names('jose nuñez')).toEqual(['JOSE NUNEZ-Ortega', 'José Núñez']);
    expect(await names('NÚÑ')).toEqual(['JOSE NUNEZ-Ortega', 'José Núñez']);
    expect(await names('0% w')).toEqual(['100% Widgets_Ltd']);
    expect(await names('%')).toEqual(['100% Widgets_Ltd']);
    expect(await names('s_l')).toEqual(['100% Widgets_Ltd']);
  });

  it('pages through every client once, in id order', async () => {
    for (let index = 0; index < 7; index += 1) await create({ name: `Paged ${index}` }).expect(201);
    const all = await allPages<{ id: string }>((cursor) => asAgent(api().get('/api/v1/clients').query({ limit: 3, ...(cursor ? { cursor } : {}) })));
    const ids = all.map((client) => client.id);
    expect(ids.length).toBe(await rowCount());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('a migrated copy gets the public id of its legacy record, once', async () => {
    const { body: copy } = await create({ name: 'Legacy Customer', legacy_id: 100_042 }).expect(201);
    expect(copy).toMatchObject({ id: legacyPublicId('client', 100_042), legacy_id: 100_042 });
    const before = await rowCount();
    const again = await create({ name: 'Legacy Customer', legacy_id: 100_042 }).expect(409);
    expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await rowCount()).toBe(before);
    const { body: found } = await asAgent(api().get('/api/v1/clients').query({ legacy_id: '100042,999' })).expect(200);
    expect(found.data.map((client: { id: string }) => client.id)).toEqual([copy.id]);
    // Only the migration proxy may write a copy: an agent could otherwise forge or block one.
    const forged = await asAgent(api().post('/api/v1/clients').send({ name: 'Forged', legacy_id: 100_077 })).expect(403);
    expect(forged.body.detail).toContain('migrator');
    await asAgent(api().post('/api/v1/clients').send({ name: 'Backdated', created_at: '2001-01-01T00:00:00Z' })).expect(403);
    expect(await rowCount()).toBe(before);
  });

  it('finds clients by the digits of their phone, however either is spelt, in id order, alone or with a name', async () => {
    const { body: dashed } = await create({ name: 'Phone Dashed', phone: '+7 (912) 345-67-89' }).expect(201);
    const { body: plain } = await create({ name: 'Phone Plain', phone: '79123456789' }).expect(201);
    await create({ name: 'Phone Longer', phone: '+7 912 345 67 890' }).expect(201);
    await create({ name: 'Phone None' }).expect(201);
    const found = async (query: Record<string, string>) => (await asAgent(api().get('/api/v1/clients').query(query)).expect(200)).body.data.map((client: { id: string }) => client.id);
    for (const phone of ['79123456789', '+7 912 345-67-89', '(7912) 345.67.89', '7912/3456789']) expect({ phone, ids: await found({ phone }) }).toEqual({ phone, ids: [dashed.id, plain.id] });
    expect(await found({ phone: '7912345678' })).toEqual([]);
    expect(await found({ phone: '79123456789', name: 'plain' })).toEqual([plain.id]);
    const paged = await allPages<{ id: string }>((cursor) => asAgent(api().get('/api/v1/clients').query({ phone: '79123456789', limit: 1, ...(cursor ? { cursor } : {}) })));
    expect(paged.map((client) => client.id)).toEqual([dashed.id, plain.id]);

    await asAgent(api().patch(`/api/v1/clients/${plain.id}`).set('if-match', '"1"').send({ phone: '+44 20 7946 0000' })).expect(200);
    expect(await found({ phone: '79123456789' })).toEqual([dashed.id]);
    expect(await found({ phone: '442079460000' })).toEqual([plain.id]);
  });

  it('refuses a phone search with fewer than 5 digits or with letters, naming the parameter', async () => {
    for (const phone of ['1234', '+1 2-3 4', '', 'abc12345', '12345 ext', '++12345', '1'.repeat(41)]) {
      const response = await asAgent(api().get('/api/v1/clients').query({ phone })).expect(400);
      expect({ phone, type: response.headers['content-type'], pointers: response.body.errors.map((error: { pointer: string }) => error.pointer) }).toEqual({ phone, type: expect.stringMatching(/application\/problem\+json/), pointers: expect.arrayContaining(['#/phone']) });
    }
  });

  it('refuses bad input with 400 problem+json and writes nothing', async () => {
    const before = await rowCount();
    for (const body of [{}, { name: '' }, { name: 'x', email: 'not-mail' }, { name: 'x', phone: 'call me' }, { name: 'x', legacy_id: 0 }, { name: 'x', legacy_id: 1.5 }, { name: 'x', extra: 1 }, { name: 'a\u0000b' }]) {
      const response = await create(body).expect(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    await asAgent(api().get('/api/v1/clients/not-a-uuid')).expect(400);
    await asAgent(api().get('/api/v1/clients').query({ cursor: 'garbage' })).expect(400);
    await asAgent(api().get('/api/v1/clients').query({ legacy_id: 'abc' })).expect(400);
    expect(await rowCount()).toBe(before);
  });
});

// Agents write, managers read; intake (the bots' and the ESB's service accounts) only lists and searches.
const MATRIX: MatrixRow[] = [
  { method: 'get', path: '/api/v1/clients', roles: ['agent', 'manager', 'intake'] },
  { method: 'post', path: '/api/v1/clients', roles: ['agent'], body: { name: 'Matrix Client' } },
  { method: 'get', path: '/api/v1/clients/{id}', roles: ['agent', 'manager'] },
  { method: 'patch', path: '/api/v1/clients/{id}', roles: ['agent'], body: { phone: '+1 555 0100' } },
];

describe('authorisation matrix of the clients service', () => {
  let tokens: MatrixTokens;
  beforeAll(async () => {
    tokens = await matrixTokens(t.keycloak);
  });

  it('covers every route the API document lists', async () => {
    const document = (await api().get('/api/v1/openapi.json').expect(200)).body;
    expect(operationsOf(MATRIX)).toEqual(documentedOperations(document));
  });

  it.each(matrixCases(MATRIX))('%s as %s', async (_name, caller, row) => {
    // A client of its own per call, so If-Match "1" is current.
    const { body: target } = await create({ name: 'Matrix Target' }).expect(201);
    await expectCallAuthorised(t.system.services.clients.url, row.path.replace('{id}', target.id), caller, row, tokens);
  });
});
