import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaMigrations } from '../../../migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { migrateSchema, rollbackSchema } from './index.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

const tables = async (schema: string) =>
  (await db.knex('information_schema.tables').where({ table_schema: schema }).orderBy('table_name').pluck('table_name')) as string[];

describe('migrations', () => {
  it('bring every schema up, are idempotent, and roll back cleanly', async () => {
    for (const [schema, migrations] of Object.entries(schemaMigrations)) {
      await migrateSchema(db.knex, schema, migrations);
      expect(await migrateSchema(db.knex, schema, migrations)).toEqual([]);
    }
    expect(await tables('incidents')).toEqual(['comments', 'history', 'inbox', 'incidents', 'intake_conversations', 'knex_migrations', 'knex_migrations_lock', 'notifications', 'outbox', 'problems']);
    expect(await tables('clients')).toEqual(['clients', 'knex_migrations', 'knex_migrations_lock']);
    expect(await tables('orders')).toEqual(['knex_migrations', 'knex_migrations_lock', 'orders']);
    expect(await tables('migration')).toEqual(['backfill_failures', 'backfills', 'knex_migrations', 'knex_migrations_lock', 'ledger', 'route_modes']);

    for (const [schema, migrations] of Object.entries(schemaMigrations)) {
      await rollbackSchema(db.knex, schema, migrations, { all: true });
      expect(await tables(schema)).toEqual(['knex_migrations', 'knex_migrations_lock']);
      expect(await migrateSchema(db.knex, schema, migrations)).toEqual(Object.keys(migrations));
    }
  });

  it("an installation upgraded past 'problem number on incidents' keeps its links, and can step back", async () => {
    const all = schemaMigrations.incidents;
    const names = Object.keys(all);
    const upgrade = '20261208000000_problem_number_on_incidents';
    const before = Object.fromEntries(names.slice(0, names.indexOf(upgrade)).map((name) => [name, all[name]])) as typeof all;
    await rollbackSchema(db.knex, 'incidents', all, { all: true });
    await migrateSchema(db.knex, 'incidents', before);

    const { rows: problems } = await db.knex.raw(`insert into incidents.problems (id, title, origin, created_by, created_at, updated_at)
      values (gen_random_uuid(), 'Flaky Wi-Fi', 'manual', '{}', now(), now()), (gen_random_uuid(), 'Badge readers', 'manual', '{}', now(), now()) returning id, number`);
    const incident = (problemId: string | null) => db.knex.raw(`insert into incidents.incidents (id, title, channel, priority, created_by, created_at, updated_at, first_response_due_at, resolution_due_at, problem_id)
      values (gen_random_uuid(), 'Wi-Fi gone', 'web', 'P3', '{}', now(), now(), now(), now(), ?) returning id`, [problemId]);
    const linked = (await incident(problems[1].id)).rows[0].id;
    const unlinked = (await incident(null)).rows[0].id;

    expect(await migrateSchema(db.knex, 'incidents', all)).toEqual([upgrade]);
    const numbers = async () => Object.fromEntries((await db.knex.withSchema('incidents').table('incidents').select('id', 'problem_id', 'problem_number')).map((row) => [row.id, [row.problem_id, row.problem_number]]));
    expect(await numbers()).toEqual({ [linked]: [problems[1].id, Number(problems[1].number)], [unlinked]: [null, null] });

    await rollbackSchema(db.knex, 'incidents', all);
    expect((await db.knex.withSchema('incidents').table('incidents').where({ id: linked }).first()).problem_id).toBe(problems[1].id);
    expect(await migrateSchema(db.knex, 'incidents', all)).toEqual([upgrade]);
  });
});
