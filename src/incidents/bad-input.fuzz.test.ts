import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import { startTestSystem, type TestSystem } from '../../test/support/system.js';

let t: TestSystem;
let auth: { Authorization: string };
let incident: { id: string; key: string };
let problem: { id: string; key: string };

beforeAll(async () => {
  t = await startTestSystem();
  auth = { Authorization: `Bearer ${await t.keycloak.sign({ roles: ['admin'] })}` };
  incident = (await request(t.edge).post('/api/v1/incidents').set(auth).send({ title: 'Fuzz target' }).expect(201)).body;
  problem = (await request(t.edge).post('/api/v1/problems').set(auth).send({ title: 'Fuzz problem' }).expect(201)).body;
});
afterAll(() => t?.stop());

// Strings Postgres cannot store (NUL, lone surrogates) alongside ordinary ones.
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 30 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', 'INC-1', 'P1', 'null', '[]', '{}', '1e400', '-1', 'x'.repeat(300)),
);
const value = fc.oneof(nasty, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(nasty, { maxLength: 3 }), fc.dictionary(nasty, nasty, { maxKeys: 3 }));
const incidentFields = ['title', 'description', 'channel', 'category', 'priority', 'reporter', 'client_id', 'order_id', 'assignee', 'group', 'tags', 'to', 'reason', 'resolution', 'body', 'visibility', 'problem_id', 'status', 'owner', 'root_cause'];
const body = fc.oneof(fc.dictionary(fc.constantFrom(...incidentFields), value, { maxKeys: 6 }), fc.anything({ maxDepth: 2 }));

const counts = async () => {
  const knex = t.database.knex;
  const tables = ['incidents', 'problems', 'comments', 'history', 'outbox'];
  return Promise.all(tables.map(async (table) => Number((await knex.withSchema('incidents').table(table).count({ n: '*' }))[0]?.n)));
};

function expectRefusedOrDone(response: request.Response, before: number[], after: number[]) {
  expect(response.status).toBeLessThan(500);
  if (response.status >= 400) {
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(after).toEqual(before); // a refusal writes nothing
  }
}

describe('bad input is a 4xx problem, never a 5xx, and writes nothing', () => {
  // PATCH sends the current version, so a valid body is applied rather than always refused as stale.
  const currentVersion = async (path: string) => `"${(await request(t.edge).get(path).set(auth)).body.version}"`;
  // A supertest request is a thenable (awaiting it sends it), so it travels wrapped.
  const writes: [string, () => Promise<{ test: request.Test }>][] = [
    ['POST /incidents', async () => ({ test: request(t.edge).post('/api/v1/incidents') })],
    ['PATCH /incidents/:id', async () => ({ test: request(t.edge).patch(`/api/v1/incidents/${incident.id}`).set('If-Match', await currentVersion(`/api/v1/incidents/${incident.id}`)) })],
    ['POST /incidents/:id/transitions', async () => ({ test: request(t.edge).post(`/api/v1/incidents/${incident.id}/transitions`) })],
    ['POST /incidents/:id/comments', async () => ({ test: request(t.edge).post(`/api/v1/incidents/${incident.id}/comments`) })],
    ['POST /incidents/:id/escalate', async () => ({ test: request(t.edge).post(`/api/v1/incidents/${incident.id}/escalate`) })],
    ['POST /problems', async () => ({ test: request(t.edge).post('/api/v1/problems') })],
    ['PATCH /problems/:id', async () => ({ test: request(t.edge).patch(`/api/v1/problems/${problem.id}`).set('If-Match', await currentVersion(`/api/v1/problems/${problem.id}`)) })],
  ];

  it.each(writes)('%s with fuzzed JSON bodies', async (_route, call) => {
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const before = await counts();
        const response = await (await call()).test.set(auth).set('Content-Type', 'application/json').send(JSON.stringify(payload) ?? 'null');
        expectRefusedOrDone(response, before, await counts());
      }),
      { numRuns: 40 },
    );
  });

  it('GET lists with cursors that decode but lie (well-formed tuples of the wrong kinds)', async () => {
    const tuple = fc.array(fc.oneof(nasty, fc.constantFrom('priority', 'created_at', 'due', 'P1', '2026-01-01T00:00:00Z', '01a208ac-d434-757d-8467-337048eeba50'), fc.integer()), { maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(tuple, fc.constantFrom('-created_at', 'priority', 'due'), async (position, sort) => {
        const cursor = Buffer.from(JSON.stringify(position)).toString('base64url');
        for (const url of ['/api/v1/incidents', `/api/v1/incidents/${incident.id}/comments`, '/api/v1/problems']) {
          const query = url === '/api/v1/incidents' ? { cursor, sort } : { cursor };
          const response = await request(t.edge).get(url).query(query).set(auth);
          expect(response.status).toBeLessThan(500);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('GET /incidents with fuzzed query strings', async () => {
    const keys = ['status', 'priority', 'category', 'channel', 'assignee', 'group', 'tag', 'client_id', 'order_id', 'problem', 'created_from', 'created_to', 'updated_from', 'updated_to', 'q', 'breached', 'due_within', 'sort', 'limit', 'cursor', 'unknown'];
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...keys), fc.oneof(nasty, fc.array(nasty, { maxLength: 3 })), { maxKeys: 5 }), async (query) => {
        const response = await request(t.edge).get('/api/v1/incidents').query(query).set(auth);
        expect(response.status).toBeLessThan(500);
        if (response.status !== 200) expect(response.status).toBe(400);
      }),
      { numRuns: 150 },
    );
  });

  it('fuzzed ids in paths', async () => {
    // Well-formed ids percent-encoded, plus raw encodings a client could send: invalid UTF-8, NUL, a lone %.
    const pathSegment = fc.oneof(nasty.filter((id) => id.isWellFormed()).map(encodeURIComponent), fc.constantFrom('%ED%A0%80', '%00', '%', '%zz', 'INC-%00'));
    await fc.assert(
      fc.asyncProperty(pathSegment, async (path) => {
        for (const url of [`/api/v1/incidents/${path}`, `/api/v1/incidents/${path}/history`, `/api/v1/problems/${path}`]) {
          const response = await request(t.edge).get(url).set(auth);
          expect(response.status).toBeLessThan(500);
        }
      }),
      { numRuns: 60 },
    );
  });
});
