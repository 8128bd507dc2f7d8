import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { databaseServices } from '../services.js';
import { createLogger } from '../platform/logging/index.js';
import { legacyPublicId } from '../platform/ids/legacy-public-id.js';
import type { RunningService } from '../platform/service/index.js';
import { startStranglerSystem, strangler } from '../../test/support/strangler.js';
import type { TestSystem } from '../../test/support/system.js';

let t: TestSystem;
let s: ReturnType<typeof strangler>;
let agent: Awaited<ReturnType<ReturnType<typeof strangler>['as']>>;
let admin: Awaited<ReturnType<ReturnType<typeof strangler>['as']>>;
let secondProxy: RunningService;

beforeAll(async () => {
  t = await startStranglerSystem({ ROUTE_MODE_REFRESH_MS: '200' });
  s = strangler(t);
  agent = await s.as(['agent']);
  admin = await s.as(['admin']);
  // Another edge instance on the same database: route modes must reach it too.
  secondProxy = await databaseServices['migration-proxy']({ config: t.config, logger: createLogger('silent'), database: t.database.factory, port: 0 });
});
afterAll(async () => {
  await secondProxy?.stop();
  await t?.stop();
});

/** How often the clients service was asked to read, from its own /metrics. */
async function clientsServiceReads(): Promise<number> {
  const text = await (await fetch(`${t.system.services.clients.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('http_request_duration_seconds_count{') && line.includes('method="GET"') && line.includes('route="/api/v1/clients'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

const legacyCalls = async () => Object.values(await s.legacy.stats()).reduce((sum, count) => sum + count, 0);

describe('route modes', () => {
  it('new-only never calls legacy: lists and reads come from our services alone', async () => {
    const { body: native } = await agent.createClient({ name: 'Only Ours' }).expect(201);
    await admin.setMode('clients', 'new-only').expect(200);
    await admin.setMode('orders', 'new-only').expect(200);
    try {
      const before = await legacyCalls();
      const { body } = await agent.listClients({ limit: 100 }).expect(200);
      expect(body.meta.sources).toEqual({ clients: 'ok', legacy: 'skipped' });
      expect(body.data.map((item: { id: string }) => item.id)).toEqual([native.id]);
      await agent.getClient(legacyPublicId('client', 100_001)).expect(404);
      await agent.listOrders({ q: 'SO-05' }).expect(200);
      await agent.patchClient(legacyPublicId('client', 100_002), 1, { name: 'x' }).expect(404);
      expect(await legacyCalls()).toBe(before);
    } finally {
      await admin.setMode('clients', 'merge').expect(200);
      await admin.setMode('orders', 'merge').expect(200);
    }
  });

  it('legacy-only never calls our services for reads, and refuses writes', async () => {
    await admin.setMode('clients', 'legacy-only').expect(200);
    try {
      const before = await clientsServiceReads();
      const { body } = await agent.listClients({ limit: 20 }).expect(200);
      expect(body.meta.sources).toEqual({ clients: 'skipped', legacy: 'ok' });
      expect(body.data.every((item: { source: string }) => item.source === 'legacy')).toBe(true);
      await agent.getClient(legacyPublicId('client', 100_001)).expect(200);
      expect(await clientsServiceReads()).toBe(before);
      const refused = await agent.patchClient(legacyPublicId('client', 100_001), 1, { name: 'x' }).expect(409);
      expect(refused.body.type).toBe('https://figdesk.dev/problems/route-mode');
      await agent.createClient({ name: 'Not Now' }).expect(409);
    } finally {
      await admin.setMode('clients', 'merge').expect(200);
    }
  });

  it('a switch reaches every proxy instance, and survives in Postgres', async () => {
    const token = await s.token(['admin']);
    await admin.setMode('orders', 'new-only').expect(200);
    try {
      await sleep(500);
      const { body } = await request(secondProxy.url).get('/api/v1/admin/routes').set('Authorization', `Bearer ${token}`).expect(200);
      expect(body.data).toEqual([
        expect.objectContaining({ resource: 'clients', mode: 'merge' }),
        expect.objectContaining({ resource: 'orders', mode: 'new-only', changed_by: 'admin' }),
      ]);
      const { body: orders } = await request(secondProxy.url).get('/api/v1/orders').set('Authorization', `Bearer ${await s.token(['agent'])}`).expect(200);
      expect(orders.meta.sources.legacy).toBe('skipped');
    } finally {
      await admin.setMode('orders', 'merge').expect(200);
    }
  });

  it('refuses an unknown mode or resource with 400', async () => {
    await admin.setMode('clients', 'sideways').expect(400);
    await admin.setMode('incidents', 'merge').expect(400);
  });
});
