import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { legacyPublicId } from '../platform/ids/legacy-public-id.js';
import { allPages } from '../../test/support/helpdesk.js';
import { startTestSystem, type TestSystem } from '../../test/support/system.js';

let t: TestSystem;
let agentToken: string;
let managerToken: string;
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
  managerToken = await t.keycloak.sign({ roles: ['manager'], username: 'manager1' });
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

  it('lets agents write, managers read, and nobody in without a token', async () => {
    await api().get('/api/v1/clients').expect(401);
    await api().get('/api/v1/clients').set('authorization', `Bearer ${managerToken}`).expect(200);
    await api().post('/api/v1/clients').set('authorization', `Bearer ${managerToken}`).send({ name: 'Nope' }).expect(403);
  });
});
