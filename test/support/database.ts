import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { poolPerService, sharedEmbeddedDatabase, startEmbeddedPostgres, type DatabaseFactory } from '../../src/platform/db/index.js';

export interface TestDatabase {
  kind: 'postgres' | 'pglite';
  url: string;
  /** Hands services their pools, as the system would. */
  factory: DatabaseFactory;
  /** For assertions on rows. On PGlite it is the one shared pool (a second connection is unsafe there). */
  knex: Knex;
  close(): Promise<void>;
}

const serverUrl = () => process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

/**
 * Real PostgreSQL when DATABASE_URL (or TEST_DATABASE_URL) is set, embedded PGlite otherwise;
 * TEST_DB=pglite forces PGlite. With REQUIRE_SERVICES=1 a missing server is an error, not a
 * quiet fallback.
 */
export function testDatabaseKind(): 'postgres' | 'pglite' {
  const forced = process.env.TEST_DB;
  if (forced === 'pglite' || forced === 'postgres') return forced;
  if (serverUrl()) return 'postgres';
  if (process.env.REQUIRE_SERVICES === '1') {
    throw new Error('REQUIRE_SERVICES=1 but DATABASE_URL is not set: start PostgreSQL (or set TEST_DB=pglite to test the embedded database on purpose)');
  }
  return 'pglite';
}

/** A fresh, empty database for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDatabaseKind() === 'pglite') {
    const embedded = await startEmbeddedPostgres({ host: '127.0.0.1', port: 0 });
    const shared = sharedEmbeddedDatabase(embedded.url);
    const handle = shared.factory('test');
    return {
      kind: 'pglite',
      url: embedded.url,
      factory: shared.factory,
      knex: handle.primary,
      async close() {
        await shared.close();
        await embedded.stop();
      },
    };
  }
  const base = serverUrl();
  if (!base) throw new Error('TEST_DB=postgres needs DATABASE_URL');
  const name = `figdesk_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  await admin.raw('create database ??', [name]);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const knex = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 4 } });
  return {
    kind: 'postgres',
    url: url.toString(),
    factory: poolPerService({ url: url.toString(), poolMax: 5 }),
    knex,
    async close() {
      await knex.destroy();
      await admin.raw('drop database if exists ?? with (force)', [name]);
      await admin.destroy();
    },
  };
}
