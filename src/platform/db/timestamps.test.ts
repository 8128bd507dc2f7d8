import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { createDatabase, type Database } from './index.js';

let db: TestDatabase;
let database: Database;
beforeAll(async () => {
  db = await createTestDatabase();
  database = createDatabase({ url: db.url, poolMax: 1, applicationName: 'timestamps-test' });
});
afterAll(async () => {
  await database?.close();
  await db?.close();
});

describe('timestamptz values read from Postgres', () => {
  it('are the instants Postgres holds, whatever the session time zone and precision', async () => {
    const values = ['2026-12-07 19:41:09.123456+00', '2026-03-29 01:30:00+00', '1999-12-31 23:59:59.999+00', '2026-06-30 12:00:00.5+00', '0044-03-15 12:00:00+00'];
    // One connection (poolMax 1), so the session's zone applies to the select.
    for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Berlin']) {
      await database.primary.raw(`set time zone '${zone}'`);
      const { rows } = await database.primary.raw(
        'select v::timestamptz as parsed, (extract(epoch from v::timestamptz) * 1000)::float8 as epoch_ms, v::timestamptz::text as shown from unnest(?::text[]) as v',
        [values],
      );
      for (const row of rows as { parsed: Date; epoch_ms: number; shown: string }[]) {
        expect(row.parsed).toBeInstanceOf(Date);
        // Postgres keeps microseconds, a Date milliseconds: the parser drops the rest.
        expect({ shown: row.shown, ms: row.parsed.getTime() }).toEqual({ shown: row.shown, ms: Math.floor(row.epoch_ms) });
      }
    }
    await database.primary.raw('set time zone default');
  });

  it('keep infinity and null as pg did', async () => {
    const { rows } = await database.primary.raw("select 'infinity'::timestamptz as up, '-infinity'::timestamptz as down, null::timestamptz as none");
    expect(rows[0]).toEqual({ up: Infinity, down: -Infinity, none: null });
  });
});
