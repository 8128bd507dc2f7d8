import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { eventsOf, helpdesk, type Helpdesk } from '../../test/support/helpdesk.js';
import { startTestSystem, type TestSystem } from '../../test/support/system.js';

let t: TestSystem;
let agent: Helpdesk;
let manager: Helpdesk;
let clientSeq = 0;
const newClient = () => `client-${Date.now()}-${(clientSeq += 1)}`;

beforeAll(async () => {
  t = await startTestSystem({ PROBLEM_CLUSTER_SIZE: '3', PROBLEM_CLUSTER_WINDOW: '60m' });
  agent = helpdesk(t, await t.keycloak.sign({ roles: ['agent'], username: 'agent1' }));
  manager = helpdesk(t, await t.keycloak.sign({ roles: ['manager'], username: 'manager1' }));
});
afterAll(() => t?.stop());

const problemsWhere = (where: Record<string, unknown>) => t.database.knex.withSchema('incidents').table('problems').where(where);

describe('problems created automatically', () => {
  it('a P1 incident opens a problem and is linked to it', async () => {
    const { body: incident } = await agent.create({ title: 'Checkout is down', priority: 'P1' }).expect(201);
    expect(incident.problem).toEqual({ id: expect.any(String), key: expect.stringMatching(/^PRB-\d{6}$/) });
    const { body: problem } = await manager.getProblem(incident.problem.key).expect(200);
    expect(problem).toMatchObject({ origin: 'p1', status: 'open', incident_count: 1, title: 'P1: Checkout is down' });
    expect((await eventsOf(t, incident.id)).map((event) => event.type)).toEqual(['incident.created', 'incident.linked_to_problem']);
    expect((await eventsOf(t, problem.id)).map((event) => event.type)).toEqual(['problem.created']);
  });

  it('three open incidents of one category for one client within the window make a problem; later ones join it', async () => {
    const client = newClient();
    const file = async () => (await agent.create({ title: 'Cannot log in', category: 'access', client_id: client }).expect(201)).body;
    const first = await file();
    const second = await file();
    expect(first.problem).toBeNull();
    const third = await file();
    expect(third.problem).not.toBeNull();
    for (const earlier of [first, second]) expect((await agent.get(earlier.id)).body.problem).toEqual(third.problem);
    const fourth = await file();
    expect(fourth.problem).toEqual(third.problem);
    const { body: problem } = await manager.getProblem(third.problem.id).expect(200);
    expect(problem).toMatchObject({ origin: 'cluster', incident_count: 4 });
    expect(await problemsWhere({ cluster_key: `access|client:${client}` })).toHaveLength(1);
  });

  it('20 matching incidents filed at once create exactly one problem with all 20 linked', async () => {
    const client = newClient();
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => agent.create({ title: `Outage report ${i}`, category: 'network', client_id: client })));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
    const problems = await problemsWhere({ cluster_key: `network|client:${client}` });
    expect(problems).toHaveLength(1);
    const linked = await t.database.knex.withSchema('incidents').table('incidents').where({ client_id: client }).pluck('problem_id');
    expect(linked).toEqual(Array(20).fill(problems[0].id));
  });

  it('incidents outside the window or of another category do not count', async () => {
    const client = newClient();
    await agent.create({ title: 'a', category: 'billing', client_id: client }).expect(201);
    await agent.create({ title: 'b', category: 'billing', client_id: client }).expect(201);
    const other = await agent.create({ title: 'c', category: 'hardware', client_id: client }).expect(201);
    expect(other.body.problem).toBeNull();
    expect(await problemsWhere({ cluster_key: `billing|client:${client}` })).toHaveLength(0);
  });
});

describe('escalation and links', () => {
  it('an agent escalates an incident into a new problem, or into an existing one', async () => {
    const { body: first } = await agent.create({ title: 'Slow reports' }).expect(201);
    const created = await agent.escalate(first.id, {}).expect(201);
    expect(created.body).toMatchObject({ origin: 'escalation', title: 'Slow reports', status: 'open' });
    const { body: second } = await agent.create({ title: 'Reports time out' }).expect(201);
    const linked = await agent.escalate(second.key, { problem_id: created.body.key }).expect(200);
    expect(linked.body.id).toBe(created.body.id);
    expect((await agent.get(second.id)).body.problem.key).toBe(created.body.key);
    // Escalating again elsewhere is a conflict an agent cannot resolve alone.
    const { body: other } = await manager.createProblem({ title: 'Another' }).expect(201);
    await agent.escalate(second.id, { problem_id: other.id }).expect(409);
  });

  it('a manager links and unlinks incidents, with history', async () => {
    const { body: problem } = await manager.createProblem({ title: 'Flaky Wi-Fi', description: 'Access points reboot' }).expect(201);
    expect(problem).toMatchObject({ origin: 'manual', key: expect.stringMatching(/^PRB-/), incident_count: 0 });
    const { body: incident } = await agent.create({ title: 'Wi-Fi gone' }).expect(201);
    const linked = await manager.link(problem.key, incident.key).expect(200);
    expect(linked.body.problem.key).toBe(problem.key);
    await manager.unlink(problem.id, incident.id).expect(204);
    await manager.unlink(problem.id, incident.id).expect(404);
    const history = (await agent.history(incident.id)).body.data.filter((entry: { kind: string }) => entry.kind === 'problem_link');
    expect(history.map((entry: { before: unknown; after: unknown }) => [entry.before, entry.after])).toEqual([[null, problem.key], [problem.key, null]]);
  });

  it("an incident's copy of its problem's number is the problem's own: the database refuses any other", async () => {
    const { body: problem } = await manager.createProblem({ title: 'Printer fleet', description: 'Toner sensors' }).expect(201);
    const { body: other } = await manager.createProblem({ title: 'Badge readers', description: 'Door 3' }).expect(201);
    const { body: incident } = await agent.create({ title: 'Printer says empty' }).expect(201);
    await manager.link(problem.key, incident.key).expect(200);
    expect((await agent.list({ problem: problem.key })).body.data.map((row: { problem: unknown }) => row.problem)).toEqual([{ id: problem.id, key: problem.key }]);

    const incidents = () => t.database.knex.withSchema('incidents').table('incidents').where({ id: incident.id });
    const otherNumber = Number(other.key.slice('PRB-'.length));
    await expect(incidents().update({ problem_number: otherNumber })).rejects.toThrow(/incidents_problem_fkey/);
    await expect(incidents().update({ problem_number: null })).rejects.toThrow(/incidents_problem_fkey/);
    await expect(incidents().update({ problem_id: null })).rejects.toThrow(/incidents_problem_fkey/);
    expect((await agent.get(incident.id)).body.problem).toEqual({ id: problem.id, key: problem.key });
  });
});

describe('resolving a problem', () => {
  async function problemWithIncidents() {
    const { body: problem } = await manager.createProblem({ title: 'Database failover', description: 'Primary lost' }).expect(201);
    const make = async (title: string) => (await agent.create({ title, channel: 'telegram', reporter: { name: title, telegram_chat_id: '7' } }).expect(201)).body;
    const open = [await make('open new'), await make('open in progress'), await make('open waiting')];
    const done = [await make('already resolved'), await make('already cancelled')];
    const bystander = await make('not linked');
    for (const incident of [...open, ...done]) await manager.link(problem.id, incident.id).expect(200);
    await agent.transition(open[1].id, { to: 'in_progress' }).expect(200);
    await agent.transition(open[2].id, { to: 'in_progress' }).expect(200);
    await agent.transition(open[2].id, { to: 'waiting_customer' }).expect(200);
    await agent.transition(done[0].id, { to: 'in_progress' }).expect(200);
    await agent.transition(done[0].id, { to: 'resolved', resolution: 'Fixed on its own' }).expect(200);
    await agent.transition(done[1].id, { to: 'cancelled', reason: 'Duplicate' }).expect(200);
    return { problem: (await manager.getProblem(problem.id)).body, open, done, bystander };
  }

  it('resolves every open linked incident with one public comment, history, events and a notification each; others untouched', async () => {
    const { problem, open, done, bystander } = await problemWithIncidents();
    const before = Object.fromEntries(await Promise.all([...done, bystander].map(async (incident) => [incident.id, (await agent.get(incident.id)).body])));

    const response = await manager.patchProblem(problem.key, problem.version, { status: 'resolved', resolution: 'Failed over to the new primary', root_cause: 'Disk full' }).expect(200);
    expect(response.body).toMatchObject({ status: 'resolved', resolution: 'Failed over to the new primary', root_cause: 'Disk full' });

    for (const incident of open) {
      const after = (await agent.get(incident.id)).body;
      expect(after).toMatchObject({ status: 'resolved', resolution: 'Failed over to the new primary' });
      const comments = (await agent.comments(incident.id, { visibility: 'public' })).body.data;
      expect(comments).toHaveLength(1);
      expect(comments[0].body).toContain(problem.key);
      const notifications = (await eventsOf(t, incident.id)).filter((event) => event.type === 'notification.requested' && event.payload.data.template === 'incident.resolved');
      expect(notifications).toHaveLength(1);
      const history = (await agent.history(incident.id)).body.data.slice(-3).map((entry: { kind: string; field: string | null; after: unknown }) => [entry.kind, entry.field, entry.kind === 'comment' ? 'a comment' : entry.after]);
      expect(history).toEqual([['comment', 'public', 'a comment'], ['status', 'status', 'resolved'], ['field', 'resolution', 'Failed over to the new primary']]);
      const events = (await eventsOf(t, incident.id)).map((event) => event.type);
      expect(events.filter((type) => type === 'incident.commented' || type === 'incident.status_changed').slice(-2)).toEqual(['incident.commented', 'incident.status_changed']);
      expect(events.filter((type) => type === 'incident.commented')).toHaveLength(1);
    }
    for (const incident of [...done, bystander]) expect((await agent.get(incident.id)).body).toEqual(before[incident.id]);
    expect((await eventsOf(t, problem.id)).map((event) => event.type)).toEqual(['problem.created', 'problem.resolved']);

    // Reopening one incident afterwards leaves the problem resolved and the link in place.
    const reopened = await agent.transition(open[1].id, { to: 'in_progress', reason: 'Still broken here' }).expect(200);
    expect(reopened.body.problem.key).toBe(problem.key);
    expect((await manager.getProblem(problem.id)).body.status).toBe('resolved');
  });

  // A real database fault, injected with a trigger: on the last incident's public comment (the
  // unit of work's final statement), and on the update of the second incident (its first).
  const faults = [
    ['the last comment', 'before insert on incidents.comments', (open: { id: string }[]) => open[2]!.id, 'incident_id'],
    ['the second incident', 'before update on incidents.incidents', (open: { id: string }[]) => open[1]!.id, 'id'],
  ] as const;

  it.each(faults)('if one write fails (%s), nothing happens: problem, incidents, comments, history, events and notifications stay as they were', async (_name, on, victim, column) => {
    const { problem, open } = await problemWithIncidents();
    const incidentsNow = async () => Promise.all(open.map(async (incident) => (await agent.get(incident.id)).body));
    const rowCounts = async () => Promise.all(['comments', 'history', 'outbox', 'notifications'].map(async (table) => Number((await t.database.knex.withSchema('incidents').table(table).count({ n: '*' }))[0]?.n)));
    const before = { incidents: await incidentsNow(), rows: await rowCounts() };
    await t.database.knex.raw(`
      create function incidents.refuse_write() returns trigger language plpgsql as $$
      begin if new.${column} = '${victim(open)}' then raise exception 'disk full'; end if; return new; end $$;
      create trigger refuse_write ${on} for each row execute function incidents.refuse_write();`);
    try {
      await manager.patchProblem(problem.id, problem.version, { status: 'resolved', resolution: 'Will not stick' }).expect(500);
    } finally {
      await t.database.knex.raw(`drop trigger refuse_write on ${on.split(' on ')[1]}; drop function incidents.refuse_write();`);
    }
    expect({ incidents: await incidentsNow(), rows: await rowCounts() }).toEqual(before);
    expect((await manager.getProblem(problem.id)).body).toMatchObject({ status: 'open', version: problem.version });
  });

  it("a problem's changes are named as the API names them; a PATCH of equal values changes nothing", async () => {
    const { body: problem } = await manager.createProblem({ title: 'Named changes' }).expect(201);
    const patched = await manager.patchProblem(problem.id, 1, { title: 'Named changes, renamed', owner: { id: 'u-7', name: 'Dana' }, root_cause: null }).expect(200);
    expect(patched.body).toMatchObject({ version: 2, owner: { id: 'u-7', name: 'Dana' } });
    const updated = (await eventsOf(t, problem.id)).filter((event) => event.type === 'problem.updated');
    expect(updated.map((event) => event.payload.data)).toEqual([{ key: problem.key, changes: ['title', 'owner'], status: 'open' }]);

    const same = await manager.patchProblem(problem.id, 2, { title: 'Named changes, renamed', owner: { id: 'u-7', name: 'Dana' }, status: 'open' }).expect(200);
    expect(same.body.version).toBe(2);
    expect((await eventsOf(t, problem.id)).filter((event) => event.type === 'problem.updated')).toHaveLength(1);
    await manager.patchProblem(problem.id, 2, { status: 'investigating' }).expect(200);
    expect((await eventsOf(t, problem.id)).filter((event) => event.type === 'problem.updated').at(-1)?.payload.data.changes).toEqual(['status']);
  });

  it('a problem moves only along its own machine, and resolving needs a resolution', async () => {
    const { body: problem } = await manager.createProblem({ title: 'Machine' }).expect(201);
    await manager.patchProblem(problem.id, 1, { status: 'resolved' }).expect(400);
    const closed = await manager.patchProblem(problem.id, 1, { status: 'closed' }).expect(409);
    expect(closed.body.allowed).toEqual(['investigating', 'resolved']);
    await manager.patchProblem(problem.id, 1, { status: 'investigating' }).expect(200);
    await manager.patchProblem(problem.id, 1, { title: 'stale' }).expect(412);
  });

  it('lists problems newest first, filtered by status and origin', async () => {
    const { body } = await manager.listProblems({ origin: 'manual', status: 'open,investigating', limit: '200' }).expect(200);
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data.every((problem: { origin: string; status: string }) => problem.origin === 'manual' && ['open', 'investigating'].includes(problem.status))).toBe(true);
    const { body: incidents } = await request(t.edge).get('/api/v1/incidents').query({ problem: body.data[0].key }).set('Authorization', `Bearer ${await t.keycloak.sign()}`).expect(200);
    expect(incidents.data.every((incident: { problem: { key: string } }) => incident.problem.key === body.data[0].key)).toBe(true);
  });
});

describe('helpdesk metrics', () => {
  const metricValue = (text: string, name: string, labels: string) => {
    const line = text.split('\n').find((entry) => entry.startsWith(`${name}{`) && labels.split(',').every((label) => entry.includes(label)));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const scrape = async () => (await request(t.system.services.incidents.url).get('/metrics').expect(200)).text;

  it('count created incidents, transitions, auto-created problems and open incidents by priority', async () => {
    const before = await scrape();
    const { body: incident } = await agent.create({ title: 'Counted', priority: 'P1', channel: 'sms' }).expect(201);
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    const after = await scrape();
    const delta = (name: string, labels: string) => metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('incidents_created_total', 'channel="sms",priority="P1"')).toBe(1);
    expect(delta('incident_transitions_total', 'from="new",to="in_progress"')).toBe(1);
    expect(delta('problems_auto_created_total', 'rule="p1"')).toBe(1);
    // The gauge is counted from the database at scrape time.
    const openP1 = Number((await t.database.knex.withSchema('incidents').table('incidents').where({ priority: 'P1' }).whereIn('status', ['new', 'in_progress', 'waiting_customer']).count({ n: '*' }))[0]?.n);
    expect(metricValue(after, 'incidents_open', 'priority="P1"')).toBe(openP1);
    // Every priority is there, with 0 when none of its incidents is open (this file files no P4).
    for (const priority of ['P1', 'P2', 'P3', 'P4']) expect(after).toMatch(new RegExp(`^incidents_open\\{priority="${priority}",service="incidents"\\} \\d+$`, 'm'));
  });
});

describe('problems under concurrency and at their limits', () => {
  it('resolving while agents escalate into the problem: no 5xx, and no incident left open on the resolved problem', async () => {
    const { body: problem } = await manager.createProblem({ title: 'Contended' }).expect(201);
    for (let i = 0; i < 3; i += 1) {
      const { body: incident } = await agent.create({ title: `linked ${i}` }).expect(201);
      await manager.link(problem.id, incident.id).expect(200);
    }
    const others = await Promise.all(Array.from({ length: 6 }, async (_, i) => (await agent.create({ title: `joining ${i}` }).expect(201)).body));
    const version = (await manager.getProblem(problem.id)).body.version;
    const responses = await Promise.all([
      manager.patchProblem(problem.id, version, { status: 'resolved', resolution: 'Fixed upstream' }),
      ...others.map((incident) => agent.escalate(incident.id, { problem_id: problem.id })),
    ]);
    expect(responses.map((response) => response.status).filter((status) => status >= 500)).toEqual([]);
    expect(responses[0]?.status).toBe(200);
    const stillOpen = await t.database.knex.withSchema('incidents').table('incidents').where({ problem_id: problem.id }).whereIn('status', ['new', 'in_progress', 'waiting_customer']);
    expect(stillOpen).toEqual([]);
  });

  it('incidents for one order cluster as well as for one client', async () => {
    const order = `order-${Date.now()}`;
    const made = [];
    for (let i = 0; i < 3; i += 1) made.push((await agent.create({ title: `Order broken ${i}`, category: 'billing', order_id: order }).expect(201)).body);
    expect(made[2].problem).not.toBeNull();
    expect((await problemsWhere({ cluster_key: `billing|order:${order}` })).length).toBe(1);
  });

  it('a resolution as long as allowed resolves linked incidents; one too long is a 400', async () => {
    const { body: problem } = await manager.createProblem({ title: 'T'.repeat(200) }).expect(201);
    const { body: incident } = await agent.create({ title: 'Long fix' }).expect(201);
    await manager.link(problem.id, incident.id).expect(200);
    await manager.patchProblem(problem.id, 1, { status: 'resolved', resolution: 'x'.repeat(19_001) }).expect(400);
    await manager.patchProblem(problem.id, 1, { status: 'resolved', resolution: 'x'.repeat(19_000) }).expect(200);
    expect((await agent.get(incident.id)).body.status).toBe('resolved');
  });

  it('a resolved cluster problem cannot reopen while another open problem covers its cluster (409)', async () => {
    const client = newClient();
    for (let i = 0; i < 3; i += 1) await agent.create({ title: `first wave ${i}`, category: 'access', client_id: client }).expect(201);
    const [first] = await problemsWhere({ cluster_key: `access|client:${client}` });
    await manager.patchProblem(first.id, first.version, { status: 'resolved', resolution: 'Reset the directory' }).expect(200);
    for (let i = 0; i < 3; i += 1) await agent.create({ title: `second wave ${i}`, category: 'access', client_id: client }).expect(201);
    const reopened = await manager.patchProblem(first.id, first.version + 1, { status: 'investigating' }).expect(409);
    expect(reopened.body.detail).toContain('cluster');
  });

  it('lists problems newest first', async () => {
    const { body } = await manager.listProblems({ limit: '50' }).expect(200);
    const created = body.data.map((problem: { created_at: string }) => problem.created_at);
    expect(created).toEqual([...created].sort().reverse());
  });
});
