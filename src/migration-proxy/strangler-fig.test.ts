import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { legacyIdOf, legacyPublicId } from '../platform/ids/legacy-public-id.js';
import { allPages } from '../../test/support/helpdesk.js';
import { startStranglerSystem, strangler } from '../../test/support/strangler.js';
import type { TestSystem } from '../../test/support/system.js';
import { createLogger } from '../platform/logging/index.js';
import type { RunningService } from '../platform/service/index.js';
import { databaseServices } from '../services.js';

type Item = { id: string; name: string; legacy_id: number | null; source: string; stale?: boolean; version: number };

let t: TestSystem;
let s: ReturnType<typeof strangler>;
let agent: Awaited<ReturnType<ReturnType<typeof strangler>['as']>>;

let secondEdge: RunningService;

beforeAll(async () => {
  t = await startStranglerSystem();
  s = strangler(t);
  agent = await s.as(['agent']);
  secondEdge = await databaseServices['migration-proxy']({ config: t.config, logger: createLogger('silent'), database: t.database.factory, port: 0 });
});
afterAll(async () => {
  await secondEdge?.stop();
  await t?.stop();
});

const lastNameOf = async (customerId: number) => (await s.legacy.customer(customerId)).fullName.split(' ')[1] as string;

describe('the migration proxy: clients and orders from legacy and from our services', () => {
  it('search answers the union without duplicates; legacy-only matches land in the cache; a migrated record appears once, from our service', async () => {
    const lastName = await lastNameOf(100_003);
    const { body: created } = await agent.createClient({ name: `Native ${lastName}` }).expect(201);
    const { body: legacyView } = await agent.getClient(legacyPublicId('client', 100_003)).expect(200);
    await agent.patchClient(legacyView.id, 1, { phone: '+49 30 555' }).expect(200);

    const items = await allPages<Item>((cursor) => agent.listClients({ name: lastName.toLowerCase(), limit: 7, ...(cursor ? { cursor } : {}) }).expect(200));
    const ids = items.map((item) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    expect(items.filter((item) => item.id === legacyView.id)).toEqual([expect.objectContaining({ source: 'new', version: 2 })]);
    expect(items.find((item) => item.id === created.id)).toMatchObject({ source: 'new', legacy_id: null });
    const legacyOnly = items.filter((item) => item.source === 'legacy');
    expect(legacyOnly.length).toBeGreaterThan(0);
    expect(legacyOnly.every((item) => item.name.toLowerCase().includes(lastName.toLowerCase()))).toBe(true);

    // Legacy's full list of matches, straight from the simulator.
    const legacyIds: number[] = [];
    for (let page = 1; ; page++) {
      const body = (await (await fetch(`${t.system.services.legacyCrm.url}/crm/customers?q=${lastName}&size=100&page=${page}`)).json()) as { items: { customerId: number }[] };
      legacyIds.push(...body.items.map((item) => item.customerId));
      if (body.items.length < 100) break;
    }
    expect(ids.filter((id) => id !== created.id)).toEqual(legacyIds.map((id) => legacyPublicId('client', id)));

    // The cache now answers for the legacy-only ones; the migrated one was dropped from it.
    await s.legacy.faults({ hang: true });
    try {
      const { body } = await agent.listClients({ name: lastName.toLowerCase(), limit: 100 }).expect(200);
      expect(body.meta.sources).toEqual({ clients: 'ok', legacy: 'timeout' });
      expect(body.data.filter((item: Item) => item.stale).map((item: Item) => item.id)).toEqual(legacyOnly.map((item) => item.id));
    } finally {
      await s.legacy.faults({ hang: false });
    }
  });

  it('an intake bot finds a caller by phone however it is spelt: legacy-only, native and migrated records once each, from the cache while legacy is down', async () => {
    const phone = '+7 (912) 345-67-89';
    const [legacyOnly, migrated, movedAway] = [100_080, 100_081, 100_082].map((legacyId) => legacyPublicId('client', legacyId)) as [string, string, string];
    for (const legacyId of [100_080, 100_081, 100_082]) await s.legacy.changeCustomer(legacyId, { phoneNumber: legacyId === 100_081 ? '7 912 345 67 89' : phone });
    await agent.patchClient(migrated, 1, { email: 'caller@example.com' }).expect(200);
    await agent.patchClient(movedAway, 1, { phone: '+44 20 7946 0000' }).expect(200);
    const migratedAt = Date.now();
    const { body: native } = await agent.createClient({ name: 'Native Caller', phone: '79123456789' }).expect(201);
    // Within a second of a migration the edge still shows legacy's version (merged-page.ts); after it, the copy's.
    await sleep(Math.max(0, migratedAt + 1_100 - Date.now()));

    const intake = await s.as(['intake']);
    const expected = [[legacyOnly, 'legacy'], [migrated, 'new'], [native.id, 'new']];
    for (const query of ['79123456789', phone, '7.912.345.67.89']) {
      const { body } = await intake.listClients({ phone: query }).expect(200);
      expect({ query, found: body.data.map((item: Item) => [item.id, item.source]), sources: body.meta.sources }).toEqual({ query, found: expected, sources: { clients: 'ok', legacy: 'ok' } });
    }
    const paged = await allPages<Item>((cursor) => intake.listClients({ phone, limit: 1, ...(cursor ? { cursor } : {}) }).expect(200));
    expect(paged.map((item) => item.id)).toEqual(expected.map(([id]) => id));
    expect((await intake.listClients({ phone, name: 'native caller' }).expect(200)).body.data.map((item: Item) => item.id)).toEqual([native.id]);

    // Legacy down: the cache stands in for the legacy-only record, found by its phone's digits.
    await s.legacy.faults({ hang: true });
    try {
      const { body } = await intake.listClients({ phone: '79123456789' }).expect(200);
      expect(body.meta.sources).toEqual({ clients: 'ok', legacy: 'timeout' });
      expect(body.data.map((item: Item) => [item.id, item.source, item.stale ?? false])).toEqual([[legacyOnly, 'legacy', true], [migrated, 'new', false], [native.id, 'new', false]]);
    } finally {
      await s.legacy.faults({ hang: false });
    }

    // Intake may search clients, nothing more.
    await intake.getClient(legacyOnly).expect(403);
    await intake.getClient(native.id).expect(403);
    await intake.createClient({ name: 'Made By A Bot' }).expect(403);
    await intake.patchClient(native.id, 1, { name: 'Edited By A Bot' }).expect(403);
    await intake.listOrders().expect(403);
    const short = await intake.listClients({ phone: '12-34' }).expect(400);
    expect(short.headers['content-type']).toContain('application/problem+json');
    const document = (await request(t.edge).get('/api/v1/openapi.json').expect(200)).body;
    expect(document.paths['/api/v1/clients'].get.parameters).toContainEqual(expect.objectContaining({ name: 'phone', in: 'query' }));
  });

  it('50 concurrent edits of a legacy-only record through two edges: one copy, one ledger row, every edit applied or refused with 412, never a 5xx', async () => {
    const id = legacyPublicId('client', 100_010);
    const token = await s.token(['agent']);
    // Half the edits go through a second edge: the ledger claim, not this process, must decide.
    const edges = [t.edge, secondEdge.url];
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        request(edges[n % 2] as string).patch(`/api/v1/clients/${id}`).set('Authorization', `Bearer ${token}`).set('If-Match', '"1"').send({ phone: `+1 555 ${1000 + n}` }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status !== 200 && status !== 412)).toEqual([]);
    expect(await s.copies('clients', 100_010)).toHaveLength(1);
    expect(await s.ledger('client').where({ legacy_id: 100_010 })).toEqual([expect.objectContaining({ state: 'migrated', how: 'lazy', new_id: id })]);
    const { body } = await agent.getClient(id).expect(200);
    expect(body).toMatchObject({ id, legacy_id: 100_010, version: 2 });
  });

  it('an order edit migrates its client first, then the order; the order keeps its number and lists under its client', async () => {
    const { body: legacyOrder } = await agent.getOrder(legacyPublicId('order', 500_020)).expect(200);
    const clientLegacyId = legacyIdOf('client', legacyOrder.client_id) as number;
    expect(await s.copies('clients', clientLegacyId)).toHaveLength(0);
    await agent.patchOrder(legacyOrder.id, 1, { status: 'cancelled' }).expect(200);
    expect(await s.copies('clients', clientLegacyId)).toHaveLength(1);
    const [order] = await s.copies('orders', 500_020);
    expect(order).toMatchObject({ number: legacyOrder.number, client_id: legacyOrder.client_id, status: 'cancelled', version: 2 });
    const { body: page } = await agent.listOrders({ client_id: legacyOrder.client_id, limit: 100 }).expect(200);
    expect(page.data.filter((item: Item) => item.id === legacyOrder.id)).toEqual([expect.objectContaining({ source: 'new', status: 'cancelled' })]);
    expect(page.meta.sources).toEqual({ orders: 'ok', legacy: 'ok' });
  });

  it('records divergence: legacy changed since the cached copy was served', async () => {
    const id = legacyPublicId('client', 100_030);
    await agent.getClient(id).expect(200);
    await s.legacy.changeCustomer(100_030, { fullName: 'Changed In Legacy' });
    await agent.patchClient(id, 1, { email: 'moved@example.com' }).expect(200);
    expect(await s.ledger('client').where({ legacy_id: 100_030 })).toEqual([expect.objectContaining({ divergent_fields: ['name'] })]);
    expect((await agent.getClient(id).expect(200)).body).toMatchObject({ name: 'Changed In Legacy', email: 'moved@example.com' });
    const metrics = await request(t.edge).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/migration_divergent_fields_total\{resource="client",field="name"[^}]*\} 1/);
    expect(metrics.text).toMatch(/records_migrated_total\{resource="client",how="lazy"[^}]*\} [1-9]/);
  });

  it('a legacy record\'s ETag names legacy\'s last change: an edit on a read that legacy has overtaken is a 412, and changes nothing', async () => {
    const id = legacyPublicId('client', 100_070);
    const { headers: read } = await agent.getClient(id).expect(200);
    expect(read.etag).toMatch(/^"legacy-\d+"$/);
    await s.legacy.changeCustomer(100_070, { fullName: 'Renamed In Legacy' });
    const stale = await request(t.edge).patch(`/api/v1/clients/${id}`).set('Authorization', `Bearer ${await s.token(['agent'])}`).set('If-Match', read.etag as string).send({ name: 'Lost Update' }).expect(412);
    expect(stale.body.type).toBe('https://figdesk.dev/problems/stale-version');
    const { body: now, headers: fresh } = await agent.getClient(id).expect(200);
    expect(now).toMatchObject({ name: 'Renamed In Legacy', version: 1 });
    await request(t.edge).patch(`/api/v1/clients/${id}`).set('Authorization', `Bearer ${await s.token(['agent'])}`).set('If-Match', fresh.etag as string).send({ name: 'Edited On A Fresh Read' }).expect(200);

    // A read legacy has not overtaken edits as it is.
    const other = legacyPublicId('client', 100_071);
    const { headers: otherRead } = await agent.getClient(other).expect(200);
    const edited = await request(t.edge).patch(`/api/v1/clients/${other}`).set('Authorization', `Bearer ${await s.token(['agent'])}`).set('If-Match', otherRead.etag as string).send({ name: 'Edited On A Legacy Read' }).expect(200);
    expect(edited.body).toMatchObject({ name: 'Edited On A Legacy Read', version: 2 });
    // Its legacy ETag does not fit any more: the copy moved on.
    await request(t.edge).patch(`/api/v1/clients/${other}`).set('Authorization', `Bearer ${await s.token(['agent'])}`).set('If-Match', otherRead.etag as string).send({ name: 'Again' }).expect(412);
  });

  it('reads a legacy-only record by its public id, and the same id after migration from our service', async () => {
    const id = legacyPublicId('client', 100_040);
    const before = await agent.getClient(id).expect(200);
    expect(before.headers['x-figdesk-source']).toBe('legacy');
    expect(before.body).toMatchObject({ id, legacy_id: 100_040, version: 1 });
    await agent.patchClient(id, 1, { name: 'Now Ours' }).expect(200);
    const after = await agent.getClient(id).expect(200);
    expect(after.headers['x-figdesk-source']).toBeUndefined();
    expect(after.body).toMatchObject({ id, name: 'Now Ours', version: 2 });
    await agent.getClient(legacyPublicId('client', 999_999)).expect(404);
  });

  it('reads of records our service holds take the edge\'s fast path, with the same checks, ids and metrics as every route', async () => {
    const id = legacyPublicId('client', 100_060);
    await agent.patchClient(id, 1, { name: 'Fast Path' }).expect(200);
    const { body: native } = await agent.createClient({ name: 'Native Fast' }).expect(201);
    const manager = await s.as(['manager']);
    for (const target of [id, native.id]) {
      const read = await manager.getClient(target).expect(200);
      expect(read.body.id).toBe(target);
      expect(read.headers.etag).toBe(target === id ? '"2"' : '"1"');
    }
    const traced = await request(t.edge).get(`/api/v1/clients/${id}`).set('Authorization', `Bearer ${await s.token(['agent'])}`).set('X-Request-Id', 'trace-fast-1').expect(200);
    expect(traced.headers['x-request-id']).toBe('trace-fast-1');
    const anonymous = await request(t.edge).get(`/api/v1/clients/${id}`).expect(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    const intake = await (await s.as(['intake'])).getClient(id).expect(403);
    expect(intake.body).toMatchObject({ status: 403, type: 'https://figdesk.dev/problems/forbidden' });
    await agent.getClient('0190aaaa-0000-7000-8000-000000000000').expect(404);
    const metrics = (await request(t.edge).get('/metrics')).text;
    expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*method="GET",route="\/api\/v1\/clients\/:id",status="200"\} [1-9]/);
  });

  it('a fast-path read whose service cannot be reached is a 502 problem, with the request id', async () => {
    const stranded = await databaseServices['migration-proxy']({ config: { ...t.config, CLIENTS_URL: 'http://127.0.0.1:9' }, logger: createLogger('silent'), database: t.database.factory, port: 0 });
    try {
      const answer = await request(stranded.url)
        .get('/api/v1/clients/0190aaaa-0000-7000-8000-000000000001')
        .set('Authorization', `Bearer ${await s.token(['agent'])}`)
        .set('X-Request-Id', 'trace-fast-502')
        .expect(502);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.headers['x-request-id']).toBe('trace-fast-502');
      expect(answer.body).toMatchObject({ status: 502, type: 'https://figdesk.dev/problems/upstream', detail: 'The clients service cannot be reached' });
    } finally {
      await stranded.stop();
    }
  });

  it('bad input is a 400 problem and changes nothing', async () => {
    await agent.listClients({ limit: 0 }).expect(400);
    await agent.listClients({ cursor: 'not-a-cursor' }).expect(400);
    await agent.listOrders({ client_id: 'nope' }).expect(400);
    const answer = await agent.patchClient(legacyPublicId('client', 100_050), 1, { name: '' });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    // The record may have migrated on the way (the edge does not read edit bodies), but the bad edit changed nothing.
    expect((await agent.getClient(legacyPublicId('client', 100_050)).expect(200)).body).toMatchObject({ version: 1, name: (await s.legacy.customer(100_050)).fullName });
  });
});
