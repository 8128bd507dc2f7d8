import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startTestSystem, type TestSystem } from '../../test/support/system.js';

let t: TestSystem;
let agentToken: string;

beforeAll(async () => {
  t = await startTestSystem();
  agentToken = await t.keycloak.sign({ roles: ['agent'], username: 'agent1' });
});
afterAll(() => t?.stop());

const countRows = async (table: 'incidents' | 'outbox') => Number((await t.database.knex.withSchema('incidents').table(table).count({ n: '*' }))[0]?.n);

describe('filing and reading an incident through the migration proxy', () => {
  it('creates the incident, answers 201 with its key, and reads it back by id and by key', async () => {
    const created = await request(t.edge)
      .post('/api/v1/incidents')
      .set('Authorization', `Bearer ${agentToken}`)
      .send({ title: 'Printer on fire', description: 'Third floor', priority: 'P2', reporter: { name: 'Ann', email: 'ann@example.com' } })
      .expect(201);

    expect(created.body).toMatchObject({ title: 'Printer on fire', priority: 'P2', status: 'new', channel: 'web', version: 1, created_by: { username: 'agent1' } });
    expect(created.body.key).toMatch(/^INC-\d{6}$/);
    expect(created.headers.location).toBe(`/api/v1/incidents/${created.body.id}`);
    expect(created.headers.etag).toBe('"1"');

    const managerToken = await t.keycloak.sign({ roles: ['manager'], username: 'manager1' });
    const byId = await request(t.edge).get(`/api/v1/incidents/${created.body.id}`).set('Authorization', `Bearer ${managerToken}`).expect(200);
    expect(byId.body).toEqual(created.body);
    const byKey = await request(t.edge).get(`/api/v1/incidents/${created.body.key}`).set('Authorization', `Bearer ${agentToken}`).expect(200);
    expect(byKey.body.id).toBe(created.body.id);
  });

  it('writes an incident.created event to the outbox in the same transaction', async () => {
    const created = await request(t.edge).post('/api/v1/incidents').set('Authorization', `Bearer ${agentToken}`).send({ title: 'Outbox check' }).expect(201);
    const events = await t.database.knex.withSchema('incidents').table('outbox').where({ aggregate_id: created.body.id });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'incident.created', aggregate_type: 'incident', published_at: null });
    expect(events[0].payload).toMatchObject({ type: 'incident.created', aggregate: { type: 'incident', id: created.body.id } });
    // Written in the same statement as the incident; its data is the incident as the API shows it.
    expect(events[0].payload.data).toEqual(created.body);
  });

  it('formats keys the same way in SQL (events written with the incident) and in TypeScript', async () => {
    const { incidentKey } = await import('./domain/incident-ref.js');
    for (const number of [1, 42, 999_999, 1_000_000, 123_456_789]) {
      const { rows } = await t.database.knex.raw('select incidents.incident_key(?::bigint) as key', [number]);
      expect(rows[0].key).toBe(incidentKey(number));
    }
  });

  it('answers 404 problem+json for an unknown incident', async () => {
    const response = await request(t.edge).get('/api/v1/incidents/INC-999999').set('Authorization', `Bearer ${agentToken}`).expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, title: 'Not found' });
  });
});

describe('bad input is refused with field errors and writes nothing', () => {
  const cases: [string, unknown, string[]][] = [
    ['an empty title', { title: '   ' }, ['#/title']],
    ['a missing title', { priority: 'P1' }, ['#/title']],
    ['an unknown priority and channel', { title: 'x', priority: 'P0', channel: 'fax' }, ['#/priority', '#/channel']],
    ['an unknown field', { title: 'x', severity: 'high' }, ['#/severity']],
    ['a title of 201 characters', { title: 'a'.repeat(201) }, ['#/title']],
    ['a bad reporter email', { title: 'x', reporter: { email: 'not-an-email' } }, ['#/reporter/email']],
    ['an array instead of an object', [{ title: 'x' }], ['#/']],
  ];

  it.each(cases)('%s → 400', async (_name, body, pointers) => {
    const before = [await countRows('incidents'), await countRows('outbox')];
    const response = await request(t.edge).post('/api/v1/incidents').set('Authorization', `Bearer ${agentToken}`).send(body as object).expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 400, type: 'https://figdesk.dev/problems/validation' });
    expect(response.body.errors.map((error: { pointer: string }) => error.pointer).sort()).toEqual([...pointers].sort());
    expect([await countRows('incidents'), await countRows('outbox')]).toEqual(before);
  });

  it('malformed JSON → 400 problem+json', async () => {
    const response = await request(t.edge)
      .post('/api/v1/incidents')
      .set('Authorization', `Bearer ${agentToken}`)
      .set('Content-Type', 'application/json')
      .send('{"title": ')
      .expect(400);
    expect(response.body).toMatchObject({ status: 400, detail: 'The body is not valid JSON' });
  });

  it('an id that is neither a UUID nor a key → 400 naming the parameter', async () => {
    const response = await request(t.edge).get('/api/v1/incidents/INC-12x').set('Authorization', `Bearer ${agentToken}`).expect(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ location: 'params', pointer: '#/id' })]);
  });
});

describe('the outbox and the incident commit together', () => {
  it('when the outbox insert fails, the incident is not written either', async () => {
    // A real database fault, injected with a trigger: the second insert of the transaction fails.
    await t.database.knex.raw(`
      create function incidents.refuse_outbox() returns trigger language plpgsql as $$
      begin raise exception 'outbox unavailable'; end $$;
      create trigger refuse_outbox before insert on incidents.outbox for each row execute function incidents.refuse_outbox();`);
    try {
      const before = await countRows('incidents');
      const response = await request(t.edge).post('/api/v1/incidents').set('Authorization', `Bearer ${agentToken}`).send({ title: 'Never stored' }).expect(500);
      expect(response.body).toMatchObject({ status: 500, title: 'Internal server error' });
      expect(response.body.request_id).toBe(response.headers['x-request-id']);
      expect(await countRows('incidents')).toBe(before);
      expect(await t.database.knex.withSchema('incidents').table('incidents').where({ title: 'Never stored' })).toHaveLength(0);
    } finally {
      await t.database.knex.raw('drop trigger refuse_outbox on incidents.outbox; drop function incidents.refuse_outbox();');
    }
  });
});

describe('authorisation of the slice', () => {
  it.each([
    ['no token', 401, undefined, 'post'],
    ['a manager filing', 403, ['manager'], 'post'],
    ['an intake service account reading', 403, ['intake'], 'get'],
    ['an admin filing', 201, ['admin'], 'post'],
  ] as const)('%s → %i', async (_name, status, roles, method) => {
    const created = await request(t.edge).post('/api/v1/incidents').set('Authorization', `Bearer ${agentToken}`).send({ title: 'Auth target' }).expect(201);
    const call = method === 'post' ? request(t.edge).post('/api/v1/incidents').send({ title: 'By role' }) : request(t.edge).get(`/api/v1/incidents/${created.body.id}`);
    if (roles) call.set('Authorization', `Bearer ${await t.keycloak.sign({ roles: [...roles] })}`);
    const response = await call;
    expect(response.status).toBe(status);
  });
});

describe('bodies in other formats', () => {
  it.each([
    ['text/plain', 'title=x'],
    ['application/x-www-form-urlencoded', 'title=x'],
  ])('%s → 415 problem+json, nothing written', async (type, body) => {
    const before = await countRows('incidents');
    const response = await request(t.edge).post('/api/v1/incidents').set('Authorization', `Bearer ${agentToken}`).set('Content-Type', type).send(body).expect(415);
    expect(response.body).toMatchObject({ status: 415, title: 'Unsupported media type' });
    expect(await countRows('incidents')).toBe(before);
  });
});
