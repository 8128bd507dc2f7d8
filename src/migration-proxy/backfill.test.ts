import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { legacyPublicId } from '../platform/ids/legacy-public-id.js';
import { createLogger } from '../platform/logging/index.js';
import { createMetrics } from '../platform/metrics/index.js';
import { startStranglerSystem, strangler } from '../../test/support/strangler.js';
import type { TestSystem } from '../../test/support/system.js';
import { runBackfill } from './migration/backfill.js';
import { migrationKit } from './migration-kit.js';

const CUSTOMERS = 300;

let t: TestSystem;
let s: ReturnType<typeof strangler>;

beforeAll(async () => {
  t = await startStranglerSystem({ LEGACY_CRM_CUSTOMERS: String(CUSTOMERS), LEGACY_CRM_ORDERS: '200', BACKFILL_RATE: '200', MIGRATION_CLAIM_LEASE_MS: '1000' });
  s = strangler(t);
});
afterAll(() => t?.stop());

const migrated = async (resource: 'client' | 'order', how?: string) =>
  Number((await t.database.knex.withSchema('migration').table('ledger').where({ resource, state: 'migrated', ...(how ? { how } : {}) }).count({ n: '*' }))[0]?.n);
const migratedClients = () => migrated('client');

/** `npm run backfill` as its own process, against this test's database and services. */
function backfillProcess(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/migration-proxy/migration/backfill.cli.ts', ...args], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: t.database.url,
      CLIENTS_URL: t.config.CLIENTS_URL,
      ORDERS_URL: t.config.ORDERS_URL,
      LEGACY_CRM_URL: t.config.LEGACY_CRM_URL,
      KEYCLOAK_URL: t.keycloak.baseUrl,
      BACKFILL_RATE: '200',
      MIGRATION_CLAIM_LEASE_MS: '1000',
      ...(t.config.REDIS_URL ? { REDIS_URL: t.config.REDIS_URL, REDIS_KEY_PREFIX: t.config.REDIS_KEY_PREFIX } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

describe('back-fill', () => {
  it('killed half way and started again, it finishes with every record migrated exactly once', async () => {
    // Some records were migrated lazily before: the back-fill leaves them be.
    const agent = await s.as(['agent']);
    await agent.patchClient('00000000-0001-8000-8000-0000000186a5', 1, { name: 'Edited Before' }).expect(200);

    if (t.database.kind === 'postgres') {
      const first = backfillProcess(['clients']);
      for (let waited = 0; (await migratedClients()) < (2 * CUSTOMERS) / 3; waited++) {
        if (waited > 1_500 || first.child.exitCode !== null) throw new Error(`the back-fill did not get two thirds through: ${first.output()}`);
        await sleep(20);
      }
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
      expect(await migratedClients()).toBeLessThan(CUSTOMERS);

      // Resumed, it reads legacy from where the killed run got to, not from the start: the last
      // two pages of 100, where a fresh pass would read three.
      const legacyReadsBefore = (await s.legacy.stats()).searchCustomers as number;
      const second = backfillProcess(['clients', '--take-over']);
      const [code] = await once(second.child, 'exit');
      expect({ code, output: second.output() }).toMatchObject({ code: 0 });
      expect(second.output()).toContain(`${CUSTOMERS} legacy records seen`);
      expect(((await s.legacy.stats()).searchCustomers as number) - legacyReadsBefore).toBeLessThanOrEqual(2);
    } else {
      // PGlite serves one connection, so the command cannot run beside the system; the same job
      // runs here and is stopped mid-way without a chance to clean up, as a kill would.
      const kit = await migrationKit(t.config, t.database.knex, createLogger('silent'), createMetrics('backfill-test'));
      try {
        const stop = new AbortController();
        const deps = { db: t.database.knex, legacy: kit.legacy, migrator: kit.migrator, logger: createLogger('silent'), rate: 200 };
        const first = runBackfill({ ...deps, onProgress: (row) => row.seen >= (2 * CUSTOMERS) / 3 && stop.abort() }, 'clients', { signal: stop.signal });
        await expect(first).rejects.toThrow();
        expect(await migratedClients()).toBeLessThan(CUSTOMERS);
        await runBackfill(deps, 'clients', { takeOver: true });
      } finally {
        await kit.close();
      }
    }

    expect(await migratedClients()).toBe(CUSTOMERS);
    expect(await s.ledger('client').whereNot({ state: 'migrated' })).toEqual([]);
    const copies = await t.database.knex.withSchema('clients').table('clients').whereNotNull('legacy_id').count({ n: '*' }).countDistinct({ distinct: 'legacy_id' });
    expect(copies[0]).toMatchObject({ n: CUSTOMERS, distinct: CUSTOMERS });
    expect((await s.ledger('client').where({ legacy_id: 100_005 }))[0]).toMatchObject({ how: 'lazy' });

    const admin = { Authorization: `Bearer ${await s.token(['admin'])}` };
    const { body } = await request(t.edge).get('/api/v1/admin/backfills/clients').set(admin).expect(200);
    expect(body).toMatchObject({ resource: 'clients', state: 'finished', seen: CUSTOMERS, total: CUSTOMERS, progress: 1 });
    // Every client now comes from our service.
    const { body: page } = await request(t.edge).get('/api/v1/clients').query({ limit: 100 }).set(admin).expect(200);
    expect(page.data.every((item: { source: string }) => item.source === 'new')).toBe(true);
  });

  it('the admin endpoint runs the same job inside the proxy and reports progress; a second start is 409; a record our service refuses is written down and skipped', async () => {
    const admin = { Authorization: `Bearer ${await s.token(['admin'])}` };
    // Our service refuses the copy of legacy order 500010: its number is taken.
    await request(t.system.services.orders.url)
      .post('/api/v1/orders')
      .set('Authorization', `Bearer ${await s.token(['agent', 'migrator'])}`)
      .send({ client_id: legacyPublicId('client', 100_001), number: 'SO-0500010', total: '1.00' })
      .expect(201);
    const started = await request(t.edge).post('/api/v1/admin/backfills/orders').set(admin).expect(202);
    expect(started.body).toMatchObject({ resource: 'orders', state: 'running' });
    await request(t.edge).post('/api/v1/admin/backfills/orders').set(admin).expect(409);
    for (let waited = 0; waited < 200; waited++) {
      const { body } = await request(t.edge).get('/api/v1/admin/backfills/orders').set(admin).expect(200);
      if (body.state === 'finished') {
        expect(body).toMatchObject({ seen: 200, total: 200, migrated: 199, failed: 1 });
        break;
      }
      expect(body.state).toBe('running');
      await sleep(50);
    }
    expect(await migrated('order', 'backfill')).toBe(199);
    expect(await t.database.knex.withSchema('migration').table('backfill_failures').select('resource', 'legacy_id')).toEqual([{ resource: 'order', legacy_id: 500_010 }]);
    const metrics = (await request(t.edge).get('/metrics')).text;
    expect(metrics).toMatch(/migration_progress_ratio\{resource="client"[^}]*\} 1/);
    expect(metrics).toMatch(/records_migrated_total\{resource="order",how="backfill"[^}]*\} 199/);
  });
});
