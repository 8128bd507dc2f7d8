import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { eventsOf, helpdesk, type Helpdesk } from '../../test/support/helpdesk.js';
import { startTestSystem, type TestSystem } from '../../test/support/system.js';

// The domain's clock is under the test's control; jobs run every 50 ms of real time.
let now = new Date('2026-11-23T09:00:00.000Z');
const advance = (minutes: number) => {
  now = new Date(now.getTime() + minutes * 60_000);
};
const minutesAfter = (start: string, minutes: number) => new Date(new Date(start).getTime() + minutes * 60_000).toISOString();

let t: TestSystem;
let agent: Helpdesk;

beforeAll(async () => {
  t = await startTestSystem({ SLA_TARGETS: 'P1=15m/4h,P2=1h/8h,P3=4h/2d,P4=1d/5d', INCIDENT_JOBS_INTERVAL_MS: '50', AUTO_CLOSE_AFTER: '7d' }, { clock: () => now });
  agent = helpdesk(t, await t.keycloak.sign({ roles: ['agent'] }));
});
afterAll(() => t?.stop());

/** Waits until the background job has done what the test expects (it runs every 50 ms). */
async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const value = await probe();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the job did not get there within 5 s');
}

/** sla_breaches_total for one kind and priority, as the incidents service exports it. */
async function breachesCounted(kind: string, priority: string): Promise<number> {
  const metrics = (await request(t.system.services.incidents.url).get('/metrics').expect(200)).text;
  const line = new RegExp(`^sla_breaches_total\\{kind="${kind}",priority="${priority}",service="incidents"\\} (\\d+)$`, 'm').exec(metrics);
  return line ? Number(line[1]) : 0;
}

/** Lets the job (every 50 ms) run several more times. */
const severalJobRuns = () => new Promise((resolve) => setTimeout(resolve, 400));

const breachEvents = async (id: string) => (await eventsOf(t, id)).filter((event) => event.type === 'incident.sla_breached').map((event) => event.payload.data.kind);

describe('SLA clocks against a controllable clock', () => {
  it('sets due times from the priority, and flags a missed first response on read and by the job', async () => {
    const counted = await breachesCounted('first_response', 'P2');
    const { body: incident } = await agent.create({ title: 'Site down', priority: 'P2' }).expect(201);
    expect(incident.sla).toMatchObject({ first_response_due_at: minutesAfter(incident.created_at, 60), resolution_due_at: minutesAfter(incident.created_at, 480), first_response_breached: false, paused: false });

    advance(61);
    expect((await agent.get(incident.id)).body.sla).toMatchObject({ first_response_breached: true, resolution_breached: false });
    expect(await eventually(() => breachEvents(incident.id), (kinds) => kinds.length === 1)).toEqual(['first_response']);
    const history = (await agent.history(incident.id)).body.data.filter((entry: { kind: string }) => entry.kind === 'sla');
    expect(history).toEqual([expect.objectContaining({ field: 'first_response_breached', before: false, after: true })]);
    const stored = await t.database.knex.withSchema('incidents').table('incidents').where({ id: incident.id }).first();
    expect(stored).toMatchObject({ first_response_breached: true, resolution_breached: false });
    // The job's later runs find the breach already flagged: one event, one count.
    await severalJobRuns();
    expect(await breachEvents(incident.id)).toEqual(['first_response']);
    expect(await breachesCounted('first_response', 'P2')).toBe(counted + 1);
    // Marking a breach is bookkeeping, not an edit: an agent's ETag stays valid.
    expect((await agent.get(incident.id)).body.version).toBe(1);
  });

  it('stops the clock while waiting for the customer and moves the due time by the pause', async () => {
    const counted = await breachesCounted('resolution', 'P1');
    const { body: incident } = await agent.create({ title: 'Need logs from you', priority: 'P1' }).expect(201);
    advance(5);
    await agent.comment(incident.id, { body: 'Please send the logs', visibility: 'public' }).expect(201);
    await agent.transition(incident.id, { to: 'waiting_customer' }).expect(200);
    advance(600); // ten hours waiting: far past the 4 h target, but the clock stood still
    const waiting = (await agent.get(incident.id)).body;
    expect(waiting.sla).toMatchObject({ paused: true, resolution_breached: false, first_response_breached: false });
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    const resumed = (await agent.get(incident.id)).body;
    expect(resumed.sla.resolution_due_at).toBe(minutesAfter(incident.created_at, 240 + 600));
    advance(240 - 5 - 1);
    expect((await agent.get(incident.id)).body.sla.resolution_breached).toBe(false);
    advance(2);
    expect((await agent.get(incident.id)).body.sla.resolution_breached).toBe(true);
    expect(await eventually(() => breachEvents(incident.id), (kinds) => kinds.includes('resolution'))).toEqual(['resolution']);
    await severalJobRuns();
    expect(await breachEvents(incident.id)).toEqual(['resolution']);
    expect(await breachesCounted('resolution', 'P1')).toBe(counted + 1);
  });

  it('a late first response is flagged when it happens, not left to the job', async () => {
    const { body: incident } = await agent.create({ title: 'Answered late', priority: 'P1' }).expect(201);
    advance(20); // the P1 first-response target is 15 minutes
    await agent.comment(incident.id, { body: 'Sorry for the wait', visibility: 'public' }).expect(201);
    const stored = await t.database.knex.withSchema('incidents').table('incidents').where({ id: incident.id }).first();
    expect(stored).toMatchObject({ first_response_breached: true, resolution_breached: false });
    expect(await breachEvents(incident.id)).toEqual(['first_response']);
    expect((await agent.list({ breached: 'true', limit: 200 })).body.data.map((row: { id: string }) => row.id)).toContain(incident.id);
  });

  it('cancelling keeps a breach already missed and is no first response', async () => {
    const { body: incident } = await agent.create({ title: 'Ignored, then spam', priority: 'P1' }).expect(201);
    advance(5 * 60); // five hours: both P1 targets missed, the job not yet run on it
    await agent.transition(incident.id, { to: 'cancelled', reason: 'Spam' }).expect(200);
    const stored = await t.database.knex.withSchema('incidents').table('incidents').where({ id: incident.id }).first();
    expect(stored).toMatchObject({ first_responded_at: null, first_response_breached: true, resolution_breached: true });
  });

  it('clusters only incidents within the window', async () => {
    const client = `window-${Date.now()}`;
    const file = async () => (await agent.create({ title: 'Door badge fails', category: 'access', client_id: client }).expect(201)).body;
    await file();
    await file();
    advance(61); // the first two fall out of the 60-minute window
    expect((await file()).problem).toBeNull();
    await file();
    expect((await file()).problem).not.toBeNull(); // three within the window now
  });

  it('a reopened incident resumes its clock: the time it spent resolved does not count', async () => {
    const { body: incident } = await agent.create({ title: 'Came back', priority: 'P2' }).expect(201);
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    advance(60);
    await agent.transition(incident.id, { to: 'resolved', resolution: 'Restarted' }).expect(200);
    advance(3 * 24 * 60); // three days resolved, far past the 8-hour target
    const reopened = (await agent.transition(incident.id, { to: 'in_progress', reason: 'Broke again' }).expect(200)).body;
    expect(reopened.sla).toMatchObject({ resolution_breached: false, paused: false });
    expect(reopened.sla.resolution_due_at).toBe(minutesAfter(incident.created_at, 480 + 3 * 24 * 60));
  });

  it('lists breached incidents and those due within a time', async () => {
    const { body: soon } = await agent.create({ title: 'Due soon', priority: 'P1' }).expect(201);
    const { body: later } = await agent.create({ title: 'Due later', priority: 'P4' }).expect(201);
    const ids = async (query: Record<string, string>) => ((await agent.list({ ...query, limit: 200 }).expect(200)).body.data as { id: string }[]).map((incident) => incident.id);
    expect(await ids({ due_within: '5h' })).toContain(soon.id);
    expect(await ids({ due_within: '5h' })).not.toContain(later.id);
    advance(16);
    expect(await ids({ breached: 'true' })).toContain(soon.id);
    expect(await ids({ breached: 'false' })).toContain(later.id);
    expect(await ids({ breached: 'false' })).not.toContain(soon.id);
  });

  it('closes resolved incidents after AUTO_CLOSE_AFTER, and not before', async () => {
    const { body: incident } = await agent.create({ title: 'Fixed', priority: 'P3' }).expect(201);
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    await agent.transition(incident.id, { to: 'resolved', resolution: 'Rebooted' }).expect(200);
    advance(7 * 24 * 60 - 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await agent.get(incident.id)).body.status).toBe('resolved');
    advance(2);
    const closed = await eventually(async () => (await agent.get(incident.id)).body, (body) => body.status === 'closed');
    expect(closed.closed_at).toBe(now.toISOString()); // the job's clock is the domain's
    const notifications = (await eventsOf(t, incident.id)).filter((event) => event.type === 'notification.requested').map((event) => event.payload.data.template);
    expect(notifications).toContain('incident.closed');
  });
});
