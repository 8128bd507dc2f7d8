import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { legacyPublicId } from '../platform/ids/legacy-public-id.js';
import { startStranglerSystem, strangler } from '../../test/support/strangler.js';
import type { TestSystem } from '../../test/support/system.js';

const TIMEOUT_MS = 300;
const RESET_MS = 1_500;

let t: TestSystem;
let s: ReturnType<typeof strangler>;
let agent: Awaited<ReturnType<ReturnType<typeof strangler>['as']>>;

beforeAll(async () => {
  t = await startStranglerSystem({ LEGACY_TIMEOUT_MS: String(TIMEOUT_MS), LEGACY_BREAKER_MIN_CALLS: '3', LEGACY_BREAKER_RESET_MS: String(RESET_MS) });
  s = strangler(t);
  agent = await s.as(['agent']);
});
afterAll(async () => {
  await s?.legacy.faults({ hang: false, errorRate: 0 });
  await t?.stop();
});

const timed = async <T>(run: () => Promise<T>) => {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
};

describe('a slow or dead legacy CRM', () => {
  it('hung: search answers within the timeout with the cached matches marked stale; repeated failures open the breaker, which half-opens later', async () => {
    const name = (await s.legacy.customer(100_007)).fullName.split(' ')[0] as string;
    const { body: warm } = await agent.listClients({ name, limit: 100 }).expect(200);
    expect(warm.meta.sources.legacy).toBe('ok');
    const cachedIds = warm.data.map((item: { id: string }) => item.id);
    // A busy healthy spell: the breaker's 10 s window is full of successes when legacy dies.
    for (let call = 0; call < 10; call++) await agent.listClients({ name, limit: 100 }).expect(200);

    await s.legacy.faults({ hang: true });
    const { result: hung, ms } = await timed(() => agent.listClients({ name, limit: 100 }).expect(200));
    expect(ms).toBeLessThan(TIMEOUT_MS + 100);
    expect(hung.body.meta.sources).toEqual({ clients: 'ok', legacy: 'timeout' });
    expect(hung.body.data.map((item: { id: string }) => item.id)).toEqual(cachedIds);
    expect(hung.body.data.every((item: { stale?: boolean }) => item.stale === true)).toBe(true);

    // Three failures in a row open it, although the window still holds more successes than
    // failures; from then on legacy is not called at all.
    await agent.listClients({ name, limit: 100 }).expect(200);
    await agent.listClients({ name, limit: 100 }).expect(200);
    const before = (await s.legacy.stats()).searchCustomers as number;
    const { result: open, ms: openMs } = await timed(() => agent.listClients({ name, limit: 100 }).expect(200));
    expect(open.body.meta.sources.legacy).toBe('circuit_open');
    expect(open.body.data.map((item: { id: string }) => item.id)).toEqual(cachedIds);
    expect(openMs).toBeLessThan(TIMEOUT_MS);
    await agent.getClient(legacyPublicId('client', 100_399)).expect(503);
    expect((await s.legacy.stats()).searchCustomers).toBe(before);
    const ready = await request(t.edge).get('/health/ready').expect(200);
    expect(ready.body.checks.legacy_crm).toMatchObject({ status: 'fail', optional: true });
    expect((await request(t.edge).get('/metrics')).text).toMatch(/legacy_breaker_state\{state="open"[^}]*\} 1/);

    // Legacy recovers; after the reset time one trial call goes through and closes the breaker.
    await s.legacy.faults({ hang: false });
    await sleep(RESET_MS + 100);
    const { body: healed } = await agent.listClients({ name, limit: 100 }).expect(200);
    expect(healed.meta.sources.legacy).toBe('ok');
    expect((await s.legacy.stats()).searchCustomers).toBe(before + 1);
    expect(healed.data.some((item: { stale?: boolean }) => item.stale)).toBe(false);
  });

  it('a merged answer says in Server-Timing how long it waited on each source: legacy\'s delay shows as legacy\'s, the cache\'s stand-in as the cache\'s', async () => {
    const name = (await s.legacy.customer(100_011)).fullName.split(' ')[0] as string;
    const timings = (header: string | undefined) => Object.fromEntries((header ?? '').split(', ').map((entry) => [entry.split(';')[0], Number(/dur=([\d.]+)/.exec(entry)?.[1])]));
    await s.legacy.faults({ latencyMs: 120, jitterMs: 0 });
    try {
      const slow = await agent.listClients({ name, limit: 20 }).expect(200);
      expect(slow.body.meta.sources.legacy).toBe('ok');
      const spent = timings(slow.headers['server-timing']);
      expect(Object.keys(spent).sort()).toEqual(['clients', 'ledger', 'legacy']);
      expect(spent.legacy).toBeGreaterThanOrEqual(120);
      expect(spent.clients).toBeGreaterThanOrEqual(0);
    } finally {
      await s.legacy.faults({ latencyMs: 0 });
    }

    await s.legacy.faults({ hang: true });
    try {
      const hung = await agent.listClients({ name, limit: 20 }).expect(200);
      expect(hung.body.meta.sources.legacy).toBe('timeout');
      const spent = timings(hung.headers['server-timing']);
      expect(spent.legacy).toBeGreaterThanOrEqual(TIMEOUT_MS - 1);
      expect(spent.cache).toBeGreaterThanOrEqual(0);
    } finally {
      await s.legacy.faults({ hang: false });
    }
  });

  it('ids legacy refuses are 404s and do not count against legacy: callers cannot open the breaker for everyone', async () => {
    const manager = await s.as(['manager']);
    for (let call = 0; call < 6; call++) await manager.getClient('00000000-0001-8000-8000-ffffffffffff').expect(404);
    const { body } = await agent.listClients({ limit: 5 }).expect(200);
    expect(body.meta.sources.legacy).toBe('ok');
  });

  it('failing: an edit of a legacy-only record cannot migrate it and says so with 503; nothing is written', async () => {
    await s.legacy.faults({ errorRate: 1 });
    try {
      const answer = await agent.patchClient(legacyPublicId('client', 100_200), 1, { name: 'Will Not Land' });
      expect([503, 504]).toContain(answer.status);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(await s.copies('clients', 100_200)).toHaveLength(0);
      expect(await s.ledger('client').where({ legacy_id: 100_200 })).toHaveLength(0);
    } finally {
      await s.legacy.faults({ errorRate: 0 });
    }
  });
});
