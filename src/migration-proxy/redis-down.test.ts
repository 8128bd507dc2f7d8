import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { legacyPublicId } from '../platform/ids/legacy-public-id.js';
import { startStranglerSystem, strangler } from '../../test/support/strangler.js';
import type { TestSystem } from '../../test/support/system.js';
import { redisServerInstalled, startPrivateRedis, type PrivateRedis } from '../../test/support/redis.js';

let redis: PrivateRedis;
let t: TestSystem;
let s: ReturnType<typeof strangler>;

// This test kills and freezes its Redis, so it always starts one of its own.
const installed = redisServerInstalled();
if (!installed && process.env.REQUIRE_SERVICES === '1') throw new Error('REQUIRE_SERVICES=1 but redis-server is not installed (apt-get install redis-server)');
const describeWithRedis = installed ? describe : describe.skip;

beforeAll(async () => {
  if (!installed) return;
  redis = await startPrivateRedis();
  t = await startStranglerSystem({ REDIS_URL: redis.url });
  s = strangler(t);
});
afterAll(async () => {
  await redis?.stop();
  await t?.stop();
});

describeWithRedis(`Redis stopped during a run${installed ? '' : ' (skipped: redis-server is not installed; CI runs it)'}`, () => {
  it('a Redis that hangs (SIGSTOP) costs a request at most the cache budget once, then nothing until it is back', async () => {
    const agent = await s.as(['agent']);
    const id = legacyPublicId('client', 100_021);
    await agent.getClient(id).expect(200);
    redis.process.kill('SIGSTOP');
    try {
      const timings: number[] = [];
      for (let call = 0; call < 5; call++) {
        const started = performance.now();
        await agent.getClient(legacyPublicId('client', 100_022 + call)).expect(200);
        timings.push(performance.now() - started);
      }
      // The first call waits out the cache's 150 ms budget; the others skip the cache.
      expect(timings.slice(1).every((ms) => ms < 150)).toBe(true);
      expect((await request(t.edge).get('/health/ready').expect(200)).body.checks.cache_redis).toMatchObject({ status: 'fail', optional: true });
    } finally {
      redis.process.kill('SIGCONT');
    }
    // Back: the periodic probe finds it, and the cache is used again.
    for (let waited = 0; waited < 40; waited++) {
      if ((await request(t.edge).get('/health/ready')).body.checks.cache_redis.status === 'ok') break;
      await sleep(100);
    }
    expect((await request(t.edge).get('/health/ready').expect(200)).body.checks.cache_redis.status).toBe('ok');
  });

  it('requests keep succeeding without the cache, and readiness and metrics say so', async () => {
    const agent = await s.as(['agent']);
    const name = (await s.legacy.customer(100_011)).fullName.split(' ')[1] as string;
    const { body: first } = await agent.listClients({ name, limit: 20 }).expect(200);
    expect((await request(t.edge).get('/health/ready').expect(200)).body.checks.cache_redis).toMatchObject({ status: 'ok' });

    redis.process.kill('SIGKILL');
    await once(redis.process, 'exit');

    const { body: again } = await agent.listClients({ name, limit: 20 }).expect(200);
    expect(again.data.map((item: { id: string }) => item.id)).toEqual(first.data.map((item: { id: string }) => item.id));
    expect(again.meta.sources).toEqual({ clients: 'ok', legacy: 'ok' });
    await agent.getClient(legacyPublicId('client', 100_012)).expect(200);
    await agent.patchClient(legacyPublicId('client', 100_013), 1, { name: 'Migrated Without Redis' }).expect(200);
    await agent.listOrders({ client_id: legacyPublicId('client', 100_013) }).expect(200);

    const ready = await request(t.edge).get('/health/ready').expect(200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.checks.cache_redis).toMatchObject({ status: 'fail', optional: true });
    const metrics = (await request(t.edge).get('/metrics')).text;
    expect(metrics).toMatch(/legacy_cache_up\{kind="redis"[^}]*\} 0/);
    expect(metrics).toMatch(/legacy_cache_requests_total\{resource="client",result="error"[^}]*\} [1-9]/);
  });
});
