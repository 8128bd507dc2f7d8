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
});
