import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventsOf, helpdesk, type Helpdesk } from '../../test/support/helpdesk.js';
import { startTestSystem, type TestSystem } from '../../test/support/system.js';

let t: TestSystem;
let agent: Helpdesk;

beforeAll(async () => {
  t = await startTestSystem();
  agent = helpdesk(t, await t.keycloak.sign({ roles: ['agent'], username: 'agent1' }));
});
afterAll(() => t?.stop());

describe('creating incidents at the same time (group commit)', () => {
  it('each of 40 concurrent creations gets its own incident, key, history entry and event', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, n) => agent.create({ title: `Concurrent ${n}`, priority: 'P3' })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(40).fill(201));
    const incidents = answers.map((answer) => answer.body as { id: string; key: string; title: string });
    expect(incidents.map((incident) => incident.title)).toEqual(Array.from({ length: 40 }, (_, n) => `Concurrent ${n}`));
    expect(new Set(incidents.map((incident) => incident.key)).size).toBe(40);
    for (const incident of incidents) {
      const events = await eventsOf(t, incident.id);
      expect(events.map((event) => [event.type, event.payload.data.key])).toEqual([['incident.created', incident.key]]);
      expect((await agent.history(incident.id)).body.data).toEqual([expect.objectContaining({ kind: 'created' })]);
    }
  });
});
