import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import { startTestSystem, type TestSystem } from '../../test/support/system.js';

let t: TestSystem;
let auth: { Authorization: string };
let incident: { id: string; key: string };
let problem: { id: string; key: string };
/** The service bus comments only on incidents it filed. */
let esbIncident: { id: string; key: string };

beforeAll(async () => {
  t = await startTestSystem();
  auth = { Authorization: `Bearer ${await t.keycloak.sign({ roles: ['admin'] })}` };
  incident = (await request(t.edge).post('/api/v1/incidents').set(auth).send({ title: 'Fuzz target' }).expect(201)).body;
  problem = (await request(t.edge).post('/api/v1/problems').set(auth).send({ title: 'Fuzz problem' }).expect(201)).body;
  esbIncident = (await request(t.edge).post('/api/v1/incidents').set(auth).send({ title: 'Fuzz target of the bus', channel: 'esb' }).expect(201)).body;
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

/**
 * What a write could leave behind: the rows of every table the service writes, and every
 * incident's and problem's version and problem link (an update adds no row).
 */
const snapshot = async () => {
  const knex = t.database.knex.withSchema('incidents');
  const tables = ['comments', 'history', 'outbox', 'notifications', 'inbox'];
  const counts = await Promise.all(tables.map(async (table) => [table, Number((await knex.clone().table(table).count({ n: '*' }))[0]?.n)] as const));
  const incidents = await t.database.knex.withSchema('incidents').table('incidents').select('id', 'version', 'status', 'problem_id').orderBy('id');
  const problems = await t.database.knex.withSchema('incidents').table('problems').select('id', 'version', 'status').orderBy('id');
  return { counts: Object.fromEntries(counts), incidents, problems };
};
type Snapshot = Awaited<ReturnType<typeof snapshot>>;

function expectProblem(response: request.Response) {
  expect(response.status).toBeLessThan(500);
  if (response.status >= 400) expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
}

function expectRefusedOrDone(response: request.Response, before: Snapshot, after: Snapshot) {
  expectProblem(response);
  if (response.status >= 400) expect(after).toEqual(before); // a refusal writes nothing
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
    ['POST /intake/esb', async () => ({ test: request(t.edge).post('/intake/esb').set('Idempotency-Key', randomUUID()) })],
    ['POST /intake/esb/incidents/:id/comments', async () => ({ test: request(t.edge).post(`/intake/esb/incidents/${esbIncident.id}/comments`).set('Idempotency-Key', randomUUID()) })],
  ];

  it.each(writes)('%s with fuzzed JSON bodies', async (_route, call) => {
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const before = await snapshot();
        const response = await (await call()).test.set(auth).set('Content-Type', 'application/json').send(JSON.stringify(payload) ?? 'null');
        expectRefusedOrDone(response, before, await snapshot());
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
          expectProblem(await request(t.edge).get(url).query(query).set(auth));
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
        expectProblem(response);
        if (response.status !== 200) expect(response.status).toBe(400);
      }),
      { numRuns: 150 },
    );
  });

  // Well-formed ids percent-encoded, plus raw encodings a client could send: invalid UTF-8, NUL, a lone %.
  const pathSegment = fc.oneof(nasty.filter((id) => id.isWellFormed()).map(encodeURIComponent), fc.constantFrom('%ED%A0%80', '%00', '%', '%zz', 'INC-%00', 'PRB-%00'));

  it('fuzzed ids in the paths of reads', async () => {
    await fc.assert(
      fc.asyncProperty(pathSegment, async (path) => {
        for (const url of [`/api/v1/incidents/${path}`, `/api/v1/incidents/${path}/history`, `/api/v1/incidents/${path}/comments`, `/api/v1/problems/${path}`]) {
          expectProblem(await request(t.edge).get(url).set(auth));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('fuzzed ids in the paths of writes, linking and unlinking included', async () => {
    // Each route gets the fuzzed id in one place and a real id in the others, with a body it would accept.
    const routes: ((id: string) => request.Test)[] = [
      (id) => request(t.edge).post(`/api/v1/problems/${id}/incidents/${incident.id}`),
      (id) => request(t.edge).post(`/api/v1/problems/${problem.id}/incidents/${id}`),
      (id) => request(t.edge).delete(`/api/v1/problems/${id}/incidents/${incident.id}`),
      (id) => request(t.edge).delete(`/api/v1/problems/${problem.id}/incidents/${id}`),
      (id) => request(t.edge).patch(`/api/v1/incidents/${id}`).set('If-Match', '"1"').send({ tags: ['fuzz'] }),
      (id) => request(t.edge).patch(`/api/v1/problems/${id}`).set('If-Match', '"1"').send({ title: 'fuzz' }),
      (id) => request(t.edge).post(`/api/v1/incidents/${id}/transitions`).send({ to: 'in_progress' }),
      (id) => request(t.edge).post(`/api/v1/incidents/${id}/comments`).send({ body: 'fuzz' }),
      (id) => request(t.edge).post(`/api/v1/incidents/${id}/escalate`).send({}),
      (id) => request(t.edge).post(`/intake/esb/incidents/${id}/comments`).set('Idempotency-Key', randomUUID()).send({ body: 'fuzz' }),
    ];
    await fc.assert(
      fc.asyncProperty(pathSegment, fc.nat(routes.length - 1), async (path, index) => {
        const before = await snapshot();
        const response = await routes[index]!(path).set(auth);
        expectRefusedOrDone(response, before, await snapshot());
      }),
      { numRuns: 120 },
    );
  });
});
