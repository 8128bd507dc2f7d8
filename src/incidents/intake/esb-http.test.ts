import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { eventsOf, helpdesk } from '../../../test/support/helpdesk.js';
import { startTestSystem, type TestSystem } from '../../../test/support/system.js';

let t: TestSystem;
let intakeToken: string;

/** A service account's token as Keycloak issues it for the client credentials grant: `azp` is the client. */
const serviceAccountToken = (clientId: string, roles = ['intake']) =>
  t.keycloak.sign({ roles, username: `service-account-${clientId}`, azp: clientId, extra: { client_id: clientId } });

beforeAll(async () => {
  t = await startTestSystem();
  intakeToken = await serviceAccountToken('helpdesk-intake');
});
afterAll(() => t?.stop());

/** POST /intake/esb through the public edge; no key sends no Idempotency-Key header. */
function post(body: object, key: string | undefined, token = intakeToken) {
  const call = request(t.edge).post('/intake/esb').set('Authorization', `Bearer ${token}`);
  if (key !== undefined) call.set('Idempotency-Key', key);
  return call.send(body);
}

const incidentsTitled = (title: string) => t.database.knex.withSchema('incidents').table('incidents').where({ title }).select('id', 'channel', 'priority');
/** Inbox rows of the service bus whose key ends with `key`, whoever sent it. */
const inboxRowsWithKey = (key: string) => t.database.knex.withSchema('incidents').table('inbox').where({ channel: 'esb' }).whereLike('external_id', `%:${key}`).select('external_id', 'incident_id');
/** Rows of every incident and every inbox message: "nothing written" means these stay as they were. */
const everything = async () => {
  const count = async (table: string) => Number(((await t.database.knex.withSchema('incidents').table(table).count({ count: '*' })) as { count: number | string }[])[0]?.count);
  return { incidents: await count('incidents'), inbox: await count('inbox') };
};
const newKey = () => `order-sync-${randomUUID()}`;
const uniqueTitle = (what: string) => `${what} ${randomUUID().slice(0, 8)}`;

describe('POST /intake/esb', () => {
  it('files an incident with channel esb, and a repeat of the key gets the same answer without filing another', async () => {
    const key = newKey();
    const body = { title: uniqueTitle('Billing export stuck'), priority: 'P2', description: 'Nightly export did not finish' };

    const first = await post(body, key);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ title: body.title, priority: 'P2', channel: 'esb', status: 'new' });
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.headers.location).toBe(`/api/v1/incidents/${first.body.id}`);

    const repeat = await post(body, key);
    expect(repeat.status).toBe(first.status);
    expect(repeat.body).toEqual(first.body);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.headers.location).toBe(first.headers.location);

    expect(await incidentsTitled(body.title)).toEqual([{ id: first.body.id, channel: 'esb', priority: 'P2' }]);
    expect(await inboxRowsWithKey(key)).toEqual([{ external_id: expect.stringMatching(/^http:/), incident_id: first.body.id }]);
  });

  it('ten concurrent repeats of one key file one incident, and every caller gets its answer', async () => {
    const key = newKey();
    const body = { title: uniqueTitle('Warehouse feed down') };

    const answers = await Promise.all(Array.from({ length: 10 }, () => post(body, key)));

    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
    const incidents = await incidentsTitled(body.title);
    expect(incidents).toHaveLength(1);
    expect(answers.map((answer) => answer.body.id)).toEqual(Array(10).fill(incidents[0]?.id));
    expect(answers.filter((answer) => answer.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
    expect(await inboxRowsWithKey(key)).toHaveLength(1);
  });

  it('without an Idempotency-Key answers 400 problem+json and writes nothing', async () => {
    const body = { title: uniqueTitle('No key given') };
    const before = await everything();

    const answer = await post(body, undefined);

    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(answer.body)).toMatch(/Idempotency-Key is required/);
    expect(await everything()).toEqual(before);
  });

  it('refuses a key that is not 1 to 255 visible ASCII characters with 400, writing nothing', async () => {
    const body = { title: uniqueTitle('Bad key') };
    const before = await everything();
    for (const key of ['', 'x'.repeat(256)]) {
      const answer = await post(body, key);
      expect({ key: key.slice(0, 10), status: answer.status, type: answer.headers['content-type'] }).toEqual({ key: key.slice(0, 10), status: 400, type: expect.stringMatching(/^application\/problem\+json/) });
    }
    expect(await everything()).toEqual(before);
  });

  it('the same key with another body is refused with 422, and the first incident stays the only one', async () => {
    const key = newKey();
    const first = { title: uniqueTitle('Payments gateway slow'), priority: 'P3' };
    const created = await post(first, key).expect(201);

    const reused = await post({ ...first, priority: 'P1' }, key);

    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reused.body).toMatchObject({ status: 422, type: 'https://figdesk.dev/problems/idempotency-key-reused' });
    expect(await incidentsTitled(first.title)).toEqual([{ id: created.body.id, channel: 'esb', priority: 'P3' }]);
    // And the first answer is still the one a true repeat gets.
    expect((await post(first, key).expect(201)).body).toEqual(created.body);
  });

  it('an invalid body is refused with 400 and uses up nothing: the key then files the corrected incident', async () => {
    const key = newKey();
    const title = uniqueTitle('Invalid then fixed');
    const before = await everything();

    for (const invalid of [{ title, priority: 'P9' }, { title, channel: 'web' }, { description: 'no title' }, { title, unknown: true }, { title, assignee: { id: 'agent-1' } }]) {
      const answer = await post(invalid, key);
      expect({ body: invalid, status: answer.status }).toEqual({ body: invalid, status: 400 });
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(await everything()).toEqual(before);

    const fixed = await post({ title }, key);
    expect(fixed.status).toBe(201);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    expect(await incidentsTitled(title)).toHaveLength(1);
  });

  it('two systems that pick the same key each get their own incident', async () => {
    const key = newKey();
    const billing = await serviceAccountToken('billing-bus');

    const ours = await post({ title: uniqueTitle('From the intake client') }, key).expect(201);
    const theirs = await post({ title: uniqueTitle('From the billing bus') }, key, billing).expect(201);

    expect(theirs.body.id).not.toBe(ours.body.id);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect((await inboxRowsWithKey(key)).map((row) => row.incident_id).sort()).toEqual([ours.body.id, theirs.body.id].sort());
  });

  it('two people signed in through the same web client each own their keys: the same key files an incident for each', async () => {
    // Admins may do everything, intake included, and all of them sign in through one public client.
    const key = newKey();
    const [anna, boris] = await Promise.all(['anna', 'boris'].map((username) => t.keycloak.sign({ roles: ['admin'], username, azp: 'helpdesk-web' })));
    const body = { title: uniqueTitle('Filed by hand') };

    const annas = await post(body, key, anna).expect(201);
    const boriss = await post(body, key, boris);

    expect(boriss.status).toBe(201);
    expect(boriss.headers['idempotent-replayed']).toBeUndefined();
    expect(boriss.body.id).not.toBe(annas.body.id);
    expect(await incidentsTitled(body.title)).toHaveLength(2);
  });

  it('is for the intake role (and admins, who hold every role): an agent or a manager gets 403 and files nothing', async () => {
    const body = { title: uniqueTitle('Not an intake caller') };
    const before = await everything();
    for (const role of ['agent', 'manager']) {
      const token = await t.keycloak.sign({ roles: [role], username: `${role}1` });
      expect({ role, status: (await post(body, newKey(), token)).status }).toEqual({ role, status: 403 });
    }
    expect(await everything()).toEqual(before);
  });
});

describe('POST /intake/esb/incidents/:id/comments', () => {
  const agentCall = async () => helpdesk(t, await t.keycloak.sign({ roles: ['agent'], username: 'agent-esb' }));

  /** A public comment from the service bus, by the incident's id or key. */
  function comment(incident: string, body: object, key: string | undefined, token = intakeToken) {
    const call = request(t.edge).post(`/intake/esb/incidents/${incident}/comments`).set('Authorization', `Bearer ${token}`);
    if (key !== undefined) call.set('Idempotency-Key', key);
    return call.send(body);
  }
  const commentsOf = (incidentId: string) => t.database.knex.withSchema('incidents').table('comments').where({ incident_id: incidentId }).select('body', 'visibility', 'author');
  const filed = async (what: string) => (await post({ title: uniqueTitle(what) }, newKey()).expect(201)).body as { id: string; key: string };

  it("adds a public comment as the reporter's side, once per key: a repeat gets the first answer, another body with the key 422", async () => {
    const incident = await filed('Commented from the bus');
    const key = newKey();
    const first = await comment(incident.key, { body: 'The customer sent the logs' }, key).expect(201);
    expect(first.body).toMatchObject({ incident_id: incident.id, visibility: 'public', body: 'The customer sent the logs', author: { kind: 'reporter', username: 'service-account-helpdesk-intake' } });
    expect(first.headers.location).toBe(`/api/v1/incidents/${incident.id}/comments`);

    // A repeat is the same message however it names the incident: key, id, id in capitals.
    for (const ref of [incident.key, incident.id, incident.id.toUpperCase()]) {
      const repeat = await comment(ref, { body: 'The customer sent the logs' }, key).expect(201);
      expect(repeat.headers['idempotent-replayed']).toBe('true');
      expect(repeat.body).toEqual(first.body);
    }
    await comment(incident.key, { body: 'Something else' }, key).expect(422);
    // A key that filed an incident cannot add a comment either: one key space per caller.
    const filing = newKey();
    await post({ title: uniqueTitle('Key reused') }, filing).expect(201);
    await comment(incident.id, { body: 'Reusing a key' }, filing).expect(422);
    expect(await commentsOf(incident.id)).toEqual([{ body: 'The customer sent the logs', visibility: 'public', author: expect.objectContaining({ kind: 'reporter' }) }]);
    const events = (await eventsOf(t, incident.id)).map((event) => event.type);
    expect(events.filter((type) => type === 'incident.commented')).toHaveLength(1);
    // The reporter is not sent their own words.
    expect(events).not.toContain('notification.requested');
  });

  it('a reply brings an incident waiting for the customer, or resolved, back to work', async () => {
    const agent = await agentCall();
    const waiting = await filed('Waiting for the customer');
    await agent.transition(waiting.id, { to: 'in_progress' }).expect(200);
    await agent.transition(waiting.id, { to: 'waiting_customer' }).expect(200);
    await comment(waiting.id, { body: 'Here is the answer' }, newKey()).expect(201);
    expect((await agent.get(waiting.id)).body.status).toBe('in_progress');

    const resolved = await filed('Resolved too soon');
    await agent.transition(resolved.id, { to: 'in_progress' }).expect(200);
    await agent.transition(resolved.id, { to: 'resolved', resolution: 'Restarted it' }).expect(200);
    await comment(resolved.key, { body: 'Still broken' }, newKey()).expect(201);
    expect((await agent.get(resolved.id)).body).toMatchObject({ status: 'in_progress', resolved_at: null });

    // Resolved longer ago than REOPEN_WINDOW (3 days): a new incident is the answer, as in the bot's chat.
    await agent.transition(resolved.id, { to: 'resolved', resolution: 'Restarted it again' }).expect(200);
    await t.database.knex.withSchema('incidents').table('incidents').where({ id: resolved.id }).update({ resolved_at: t.database.knex.raw("now() - interval '4 days'") });
    expect((await comment(resolved.key, { body: 'Broken once more' }, newKey()).expect(409)).body.detail).toMatch(/REOPEN_WINDOW/);
    expect((await agent.get(resolved.id)).body.status).toBe('resolved');
  });

  it('refuses an incident the bus did not file, a closed or cancelled one (409), an unknown one (404), an internal comment or a blank one (400), and other roles (403); each writes nothing and uses up no key', async () => {
    const agent = await agentCall();
    const cancelled = await filed('Cancelled');
    await agent.transition(cancelled.id, { to: 'cancelled', reason: 'Spam' }).expect(200);
    const closed = await filed('Closed');
    await agent.transition(closed.id, { to: 'in_progress' }).expect(200);
    await agent.transition(closed.id, { to: 'resolved', resolution: 'Done' }).expect(200);
    await agent.transition(closed.id, { to: 'closed' }).expect(200);
    const byAgent = (await agent.create({ title: uniqueTitle('Filed on the web'), channel: 'telegram', reporter: { name: 'Ann', telegram_chat_id: '77' } }).expect(201)).body;
    const open = await filed('Open');
    const counts = async () => Promise.all(['comments', 'history', 'outbox', 'notifications'].map(async (table) => Number((await t.database.knex.withSchema('incidents').table(table).count({ n: '*' }))[0]?.n)));
    const before = await everything();
    const countsBefore = await counts();
    const key = newKey();
    const refusals: [string, object, number, string?][] = [
      [byAgent.id, { body: 'Not ours' }, 409],
      [cancelled.id, { body: 'Too late' }, 409],
      [closed.key, { body: 'Too late' }, 409],
      ['INC-999999999', { body: 'Nobody' }, 404],
      [open.id, { body: 'Secret', visibility: 'internal' }, 400],
      [open.id, { body: '   ' }, 400],
      [open.id, { body: 'Not mine' }, 403, await t.keycloak.sign({ roles: ['agent'], username: 'agent-esb' })],
      [open.id, { body: 'Not mine' }, 403, await t.keycloak.sign({ roles: ['manager'], username: 'manager-esb' })],
    ];
    for (const [incident, body, status, token] of refusals) {
      const answer = await comment(incident, body, key, token);
      expect({ incident, body, status: answer.status }).toEqual({ incident, body, status });
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    await comment(open.id, { body: 'No key' }, undefined).expect(400);
    expect(await everything()).toEqual(before);
    expect(await counts()).toEqual(countsBefore);
    // The key was used up by none of them.
    await comment(open.id, { body: 'Now it goes in' }, key).expect(201);
  });
});
