import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { documentedOperations, expectAuthorisation, matrixCases, operationsOf, type Caller, type MatrixRow } from '../../test/support/authorization-matrix.js';
import { startTestSystem, type TestSystem } from '../../test/support/system.js';

/** {incidentId} is an incident already linked to the problem; `idempotent` calls send a fresh Idempotency-Key; `esb` rows act on an incident the service bus filed. */
type Row = MatrixRow & { linked?: true; idempotent?: true; esb?: true };

// The expected authorisation of every incidents-service route, written out by hand. The channel
// webhooks (/intake/sms, /intake/telegram) take a signature or secret, not a token: sms.test.ts
// and telegram.test.ts check that no role's token opens them.
const MATRIX: Row[] = [
  { method: 'post', path: '/api/v1/incidents', roles: ['agent'], body: { title: 'matrix' } },
  { method: 'get', path: '/api/v1/incidents', roles: ['agent', 'manager'] },
  { method: 'get', path: '/api/v1/incidents/{id}', roles: ['agent', 'manager'] },
  { method: 'patch', path: '/api/v1/incidents/{id}', roles: ['agent'], body: { tags: ['matrix'] } },
  { method: 'post', path: '/api/v1/incidents/{id}/transitions', roles: ['agent'], body: { to: 'cancelled', reason: 'matrix' } },
  { method: 'post', path: '/api/v1/incidents/{id}/comments', roles: ['agent'], body: { body: 'matrix' } },
  { method: 'get', path: '/api/v1/incidents/{id}/comments', roles: ['agent', 'manager'] },
  { method: 'get', path: '/api/v1/incidents/{id}/history', roles: ['agent', 'manager'] },
  { method: 'post', path: '/api/v1/incidents/{id}/escalate', roles: ['agent', 'manager'], body: {} },
  { method: 'post', path: '/api/v1/problems', roles: ['manager'], body: { title: 'matrix' } },
  { method: 'get', path: '/api/v1/problems', roles: ['agent', 'manager'] },
  { method: 'get', path: '/api/v1/problems/{id}', roles: ['agent', 'manager'] },
  { method: 'patch', path: '/api/v1/problems/{id}', roles: ['manager'], body: { title: 'matrix' } },
  { method: 'post', path: '/api/v1/problems/{id}/incidents/{incidentId}', roles: ['manager'] },
  { method: 'delete', path: '/api/v1/problems/{id}/incidents/{incidentId}', roles: ['manager'], linked: true },
  { method: 'post', path: '/intake/esb', roles: ['intake'], body: { title: 'matrix' }, idempotent: true },
  { method: 'post', path: '/intake/esb/incidents/{id}/comments', roles: ['intake'], body: { body: 'matrix' }, idempotent: true, esb: true },
  { method: 'get', path: '/api/v1/admin/notifications', roles: [] },
  { method: 'post', path: '/api/v1/admin/notifications/{id}/retry', roles: [] },
  { method: 'get', path: '/api/v1/admin/inbox', roles: [] },
  { method: 'post', path: '/api/v1/admin/inbox/{id}/retry', roles: [] },
];

let t: TestSystem;
const tokens = {} as Record<Exclude<Caller, 'anonymous'>, string>;

beforeAll(async () => {
  t = await startTestSystem();
  for (const role of ['agent', 'manager', 'admin', 'intake'] as const) tokens[role] = await t.keycloak.sign({ roles: [role], username: `${role}-matrix` });
});
afterAll(() => t?.stop());

/** A fresh incident and problem per call, so each call finds what it acts on (and If-Match "1" is current). */
async function targets(linked: boolean, esb: boolean) {
  const admin = { Authorization: `Bearer ${tokens.admin}` };
  const incident = (await request(t.edge).post('/api/v1/incidents').set(admin).send({ title: 'matrix target', channel: esb ? 'esb' : 'web' }).expect(201)).body;
  const problem = (await request(t.edge).post('/api/v1/problems').set(admin).send({ title: 'matrix target' }).expect(201)).body;
  if (linked) await request(t.edge).post(`/api/v1/problems/${problem.id}/incidents/${incident.id}`).set(admin).expect(200);
  return { incident, problem };
}

/** A message to a reporter that could not be delivered, and an inbox message that could not be handled: what the retry routes act on. */
async function deadLetters(incidentId: string) {
  const now = new Date();
  const notification = randomUUID();
  await t.database.knex.withSchema('incidents').table('notifications').insert({ id: notification, event_id: randomUUID(), incident_id: incidentId, channel: 'sms', recipient: '+15550001', language: 'en', template: 'incident.closed', params: '{}', state: 'dead', attempts: 8, next_attempt_at: now, created_at: now });
  const [inbox] = await t.database.knex.withSchema('incidents').table('inbox').insert({ channel: 'sms', external_id: `SM${randomUUID()}`, payload: '{}', received_at: now, next_attempt_at: now, state: 'failed', attempts: 8 }).returning('id');
  return { notification, inbox: String((inbox as { id: string }).id) };
}

describe('authorisation matrix of the incidents service (through the edge)', () => {
  it('covers every route the API document lists', async () => {
    const document = (await request(t.system.services.incidents.url).get('/api/v1/openapi.json').expect(200)).body;
    expect(operationsOf(MATRIX)).toEqual(documentedOperations(document));
  });

  it.each(matrixCases(MATRIX))('%s as %s', async (_name, caller, row) => {
    const { incident, problem } = await targets(row.linked === true, row.esb === true);
    const dead = row.path.startsWith('/api/v1/admin/') ? await deadLetters(incident.id) : undefined;
    const id = row.path.startsWith('/api/v1/problems') ? problem.id : row.path.startsWith('/api/v1/admin/notifications') ? dead?.notification : row.path.startsWith('/api/v1/admin/inbox') ? dead?.inbox : incident.id;
    const url = row.path.replace('{incidentId}', incident.id).replace('{id}', id as string);
    const call = request(t.edge)[row.method](url).set('If-Match', '"1"');
    if (row.idempotent) call.set('Idempotency-Key', randomUUID());
    if (caller !== 'anonymous') call.set('Authorization', `Bearer ${tokens[caller]}`);
    const response = row.body ? await call.send(row.body) : await call;
    expectAuthorisation(caller, row, response.status);
  });
});
