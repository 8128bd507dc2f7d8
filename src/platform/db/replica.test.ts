import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { readiness } from '../http/index.js';
import { createDatabase, databaseChecks } from './index.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

describe('the read replica (DATABASE_REPLICA_URL)', () => {
  it('gets a pool of its own and is checked in readiness', async () => {
    // A second connection that only reads is safe on PGlite too; the "replica" is the same database here.
    const database = createDatabase({ url: db.url, replicaUrl: db.url, poolMax: 1, applicationName: 'replica-test' });
    try {
      expect(database.replica).not.toBe(database.primary);
      expect((await database.replica.raw('select 1 as one')).rows).toEqual([{ one: 1 }]);
      const report = await readiness(databaseChecks(database));
      expect(report).toMatchObject({ status: 'ready', checks: { postgres: { status: 'ok' }, postgres_replica: { status: 'ok' } } });
    } finally {
      await database.close();
    }
  });

  it('without one, reads use the primary and readiness checks only the primary', async () => {
    const database = createDatabase({ url: db.url, poolMax: 1, applicationName: 'no-replica' });
    expect(database.replica).toBe(database.primary);
    expect(Object.keys(databaseChecks(database))).toEqual(['postgres']);
    await database.close();
  });

  it('an unreachable replica makes the service not ready, and says which dependency failed', async () => {
    const database = createDatabase({ url: db.url, replicaUrl: 'postgres://postgres@127.0.0.1:9/none', poolMax: 1, applicationName: 'broken-replica' });
    try {
      const report = await readiness(databaseChecks(database));
      expect(report.status).toBe('unavailable');
      expect(report.checks).toMatchObject({ postgres: { status: 'ok' }, postgres_replica: { status: 'fail', detail: expect.any(String) } });
    } finally {
      await database.close();
    }
  });
});
