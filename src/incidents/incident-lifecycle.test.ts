import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { allPages, eventsOf, helpdesk, type Helpdesk } from '../../test/support/helpdesk.js';
import { startTestSystem, type TestSystem } from '../../test/support/system.js';
import { allowedTransitions, canTransition, STATUSES, type Status } from './domain/status-machine.js';

let t: TestSystem;
let agent: Helpdesk;
let agentId: string;

beforeAll(async () => {
  t = await startTestSystem();
  const token = await t.keycloak.sign({ roles: ['agent'], username: 'agent1' });
  agent = helpdesk(t, token);
  agentId = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).sub;
});
afterAll(() => t?.stop());

describe('changing an incident (PATCH with If-Match)', () => {
  it('applies the change, bumps the version, records history and an event per kind of change', async () => {
    const { body: created } = await agent.create({ title: 'VPN drops', category: 'network', priority: 'P3' }).expect(201);
    const response = await agent.patch(created.id, 1, { title: 'VPN drops every hour', priority: 'P2', assignee: { id: agentId, name: 'Agent One' }, tags: ['vpn'] }).expect(200);
    expect(response.body).toMatchObject({ title: 'VPN drops every hour', priority: 'P2', assignee: { id: agentId, name: 'Agent One' }, tags: ['vpn'], version: 2 });
    expect(response.headers.etag).toBe('"2"');
    // A new priority means new SLA targets (P2: 8 hours to resolve).
    expect(new Date(response.body.sla.resolution_due_at).getTime() - new Date(created.created_at).getTime()).toBe(8 * 3_600_000);

    const history = (await agent.history(created.id).expect(200)).body.data;
    expect(history.map((entry: { kind: string; field: string | null }) => `${entry.kind}:${entry.field ?? ''}`)).toEqual(['created:', 'field:title', 'field:priority', 'field:tags', 'sla:first_response_due_at', 'sla:resolution_due_at', 'assignment:assignee']);
    expect(history[1]).toMatchObject({ before: 'VPN drops', after: 'VPN drops every hour', actor: { username: 'agent1' } });
    expect(history[5]).toMatchObject({ before: created.sla.resolution_due_at, after: response.body.sla.resolution_due_at });
    expect((await eventsOf(t, created.id)).map((event) => event.type)).toEqual(['incident.created', 'incident.updated', 'incident.assigned']);
  });

  it('a stale version is 412 and changes nothing; a missing If-Match is 428', async () => {
    const { body: created } = await agent.create({ title: 'Stale edit' }).expect(201);
    await agent.patch(created.id, 1, { title: 'First edit' }).expect(200);
    const stale = await agent.patch(created.id, 1, { title: 'Second edit from an old copy' }).expect(412);
    expect(stale.body).toMatchObject({ status: 412, type: 'https://figdesk.dev/problems/stale-version' });
    await agent.patch(created.id, undefined, { title: 'No version' }).expect(428);
    expect((await agent.get(created.id)).body).toMatchObject({ title: 'First edit', version: 2 });
  });

  it('refuses changes to a closed or cancelled incident (409)', async () => {
    const { body: created } = await agent.create({ title: 'Spam' }).expect(201);
    await agent.transition(created.id, { to: 'cancelled', reason: 'Spam' }).expect(200);
    const response = await agent.patch(created.id, 2, { priority: 'P1' }).expect(409);
    expect(response.body.detail).toContain('cancelled');
    expect((await agent.get(created.id)).body).toMatchObject({ priority: 'P3', problem: null });
  });

  it('refuses to change the status through PATCH and a category outside the configured list', async () => {
    const { body: created } = await agent.create({ title: 'Strict patch' }).expect(201);
    const response = await agent.patch(created.id, 1, { status: 'resolved', category: 'gardening' }).expect(400);
    expect(response.body.errors.map((error: { pointer: string }) => error.pointer).sort()).toEqual(['#/category', '#/status']);
  });
});

describe('the status machine through the API', () => {
  it('answers 409 exactly when the machine says no, naming the allowed moves', async () => {
    // Each step asks for a move the machine allows or for any status, so walks reach the far
    // states (closed, cancelled, reopened) rather than bouncing off `new`.
    const step = fc.record({ allowedOnly: fc.boolean(), pick: fc.nat() });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        const { body: incident } = await agent.create({ title: 'Machine walk' }).expect(201);
        let status: Status = 'new';
        for (const { allowedOnly, pick } of steps) {
          const choices: readonly Status[] = allowedOnly && allowedTransitions(status).length ? allowedTransitions(status) : STATUSES;
          const to = choices[pick % choices.length]!;
          const response = await agent.transition(incident.id, { to, reason: 'walk', resolution: 'walked' });
          if (canTransition(status, to)) {
            expect(response.status).toBe(200);
            expect(response.body.status).toBe(to);
            status = to;
          } else {
            expect(response.status).toBe(409);
            expect(response.body).toMatchObject({ from: status, to, allowed: [...allowedTransitions(status)] });
          }
        }
        expect((await agent.get(incident.id)).body.status).toBe(status);
      }),
      { numRuns: 50 },
    );
  });

  it('resolving needs a resolution and cancelling a reason (400, nothing changes)', async () => {
    const { body: incident } = await agent.create({ title: 'Needs words' }).expect(201);
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    expect((await agent.transition(incident.id, { to: 'resolved' }).expect(400)).body.errors[0].pointer).toBe('#/resolution');
    expect((await agent.transition(incident.id, { to: 'cancelled' }).expect(400)).body.errors[0].pointer).toBe('#/reason');
    expect((await agent.get(incident.id)).body.status).toBe('in_progress');
    const resolved = await agent.transition(incident.id, { to: 'resolved', resolution: 'Replaced the cable' }).expect(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: 'Replaced the cable' });
    expect(resolved.body.resolved_at).not.toBeNull();
    const reopened = await agent.transition(incident.id, { to: 'in_progress', reason: 'Broke again' }).expect(200);
    expect(reopened.body.resolved_at).toBeNull();
    await agent.transition(incident.id, { to: 'cancelled', reason: 'Filed twice' }).expect(200);
    // The resolution and the reason are in the history, each after the status move that wrote it.
    const history = (await agent.history(incident.id)).body.data.filter((entry: { kind: string }) => entry.kind !== 'created');
    expect(history.map((entry: { kind: string; field: string; before: unknown; after: unknown }) => [entry.field, entry.before, entry.after])).toEqual([
      ['status', 'new', 'in_progress'],
      ['status', 'in_progress', 'resolved'],
      ['resolution', null, 'Replaced the cable'],
      ['status', 'resolved', 'in_progress'],
      ['status', 'in_progress', 'cancelled'],
      ['cancel_reason', null, 'Filed twice'],
    ]);
  });

  it('tells the reporter about the status changes they care about, through the outbox', async () => {
    const { body: incident } = await agent.create({ title: 'Tell me', channel: 'telegram', reporter: { name: 'Ann', telegram_chat_id: '42' } }).expect(201);
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    await agent.transition(incident.id, { to: 'waiting_customer' }).expect(200);
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    await agent.transition(incident.id, { to: 'resolved', resolution: 'Done' }).expect(200);
    const notifications = (await eventsOf(t, incident.id)).filter((event) => event.type === 'notification.requested').map((event) => event.payload.data);
    expect(notifications.map((data) => data.template)).toEqual(['incident.in_progress', 'incident.waiting_customer', 'incident.in_progress', 'incident.resolved']);
    expect(notifications[3]).toMatchObject({ channel: 'telegram', reporter: { telegram_chat_id: '42' }, params: { resolution: 'Done' } });
    // Only the resolution is a parameter: the other status messages carry none (docs/events.md).
    expect(notifications.slice(0, 3).map((data) => data.params)).toEqual([{}, {}, {}]);
  });
});

describe('comments', () => {
  it('an agent’s public comment is the first response: new → in_progress, and the reporter gets the answer, not a status notice besides', async () => {
    const { body: incident } = await agent.create({ title: 'First answer' }).expect(201);
    const comment = await agent.comment(incident.id, { body: 'We are on it', visibility: 'public' }).expect(201);
    expect(comment.body).toMatchObject({ visibility: 'public', body: 'We are on it', author: { username: 'agent1', kind: 'agent' } });
    const after = (await agent.get(incident.id)).body;
    expect(after.status).toBe('in_progress');
    expect(after.sla.first_responded_at).not.toBeNull();
    const types = (await eventsOf(t, incident.id)).map((event) => event.type);
    expect(types).toEqual(['incident.created', 'incident.commented', 'incident.status_changed', 'notification.requested']);
    const [notification] = (await eventsOf(t, incident.id)).filter((event) => event.type === 'notification.requested');
    expect(notification?.payload.data).toMatchObject({ template: 'incident.agent_reply', params: { body: 'We are on it' } });
  });

  it('an internal note changes no status and is never sent to the reporter', async () => {
    const { body: incident } = await agent.create({ title: 'Quiet note' }).expect(201);
    await agent.comment(incident.id, { body: 'Customer is a VIP', visibility: 'internal' }).expect(201);
    expect((await agent.get(incident.id)).body.status).toBe('new');
    expect((await eventsOf(t, incident.id)).map((event) => event.type)).toEqual(['incident.created', 'incident.commented']);
    const publicOnly = (await agent.comments(incident.id, { visibility: 'public' }).expect(200)).body.data;
    expect(publicOnly).toEqual([]);
  });

  it('lists comments oldest first across pages', async () => {
    const { body: incident } = await agent.create({ title: 'Chatty' }).expect(201);
    for (let i = 1; i <= 5; i += 1) await agent.comment(incident.id, { body: `note ${i}` }).expect(201);
    const all = await allPages((cursor) => agent.comments(incident.id, { limit: '2', ...(cursor ? { cursor } : {}) }).expect(200));
    expect(all.map((comment) => (comment as { body: string }).body)).toEqual(['note 1', 'note 2', 'note 3', 'note 4', 'note 5']);
  });
});

describe('listing incidents', () => {
  let ids: Record<string, string>;
  beforeAll(async () => {
    const me = { id: agentId, name: 'Agent One' };
    const make = async (body: object) => (await agent.create(body).expect(201)).body.id as string;
    ids = {
      printer: await make({ title: 'Printer jammed on floor three', category: 'hardware', priority: 'P2', assignee: me, client_id: 'c-100' }),
      vpn: await make({ title: 'VPN login fails', description: 'error 809 after the update', category: 'network', priority: 'P1', assignee: me, channel: 'sms' }),
      mail: await make({ title: 'Mailbox full', category: 'software', priority: 'P4', order_id: 'o-7', tags: ['quota'] }),
    };
  });

  it('filters by status, priority, category, channel, assignee (me, none), client, order, tag and text', async () => {
    const only = async (query: Record<string, string>) => ((await agent.list({ ...query, limit: 200 }).expect(200)).body.data as { id: string }[]).map((incident) => incident.id).filter((id) => Object.values(ids).includes(id)).sort();
    expect(await only({ priority: 'P1,P2', assignee: 'me', status: 'new' })).toEqual([ids.printer, ids.vpn].sort());
    expect(await only({ category: 'network' })).toEqual([ids.vpn]);
    expect(await only({ channel: 'sms' })).toEqual([ids.vpn]);
    expect(await only({ assignee: 'none', category: 'software' })).toEqual([ids.mail]);
    expect(await only({ client_id: 'c-100' })).toEqual([ids.printer]);
    expect(await only({ order_id: 'o-7' })).toEqual([ids.mail]);
    expect(await only({ tag: 'quota' })).toEqual([ids.mail]);
    expect(await only({ q: 'jammed' })).toEqual([ids.printer]);
    expect(await only({ q: '809' })).toEqual([ids.vpn]); // words of the description count too
    expect(await only({ created_from: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
  });

  it('pages through every incident exactly once, in the order asked for', async () => {
    for (const sort of ['-created_at', 'due', 'priority', '-updated_at']) {
      const pages = await allPages((cursor) => agent.list({ limit: 4, sort, ...(cursor ? { cursor } : {}) }).expect(200));
      const everything = (await agent.list({ limit: 200, sort }).expect(200)).body.data;
      expect(pages.map((incident) => (incident as { id: string }).id)).toEqual(everything.map((incident: { id: string }) => incident.id));
      expect(new Set(pages.map((incident) => (incident as { id: string }).id)).size).toBe(pages.length);
    }
  });

  it('refuses a cursor made for another sort order, or made by hand (400, not 500)', async () => {
    const { body } = await agent.list({ limit: 1, sort: 'priority' }).expect(200);
    const reused = await agent.list({ limit: 1, sort: '-created_at', cursor: body.page.next_cursor }).expect(400);
    expect(reused.body.errors[0].pointer).toBe('#/cursor');
    const handMade = Buffer.from(JSON.stringify(['created_at', 'x', '01a208ac-d434-757d-8467-337048eeba50'])).toString('base64url');
    await agent.list({ cursor: handMade, sort: 'created_at' }).expect(400);
    const wrongType = Buffer.from(JSON.stringify(['priority', '2026-01-01T00:00:00Z', '01a208ac-d434-757d-8467-337048eeba50'])).toString('base64url');
    await agent.list({ cursor: wrongType, sort: 'priority' }).expect(400);
  });

  it('refuses bad filters with 400 naming each parameter', async () => {
    const response = await agent.list({ priority: 'P9', created_from: 'yesterday', due_within: 'soon', sort: 'title', cursor: 'nonsense' }).expect(400);
    expect(response.body.errors.map((error: { pointer: string }) => error.pointer).sort()).toEqual(['#/created_from', '#/due_within', '#/priority/0', '#/sort']);
    expect((await agent.list({ cursor: 'nonsense' }).expect(400)).body.errors[0].pointer).toBe('#/cursor');
  });
});
