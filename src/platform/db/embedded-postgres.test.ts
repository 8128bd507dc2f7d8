import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { sharedEmbeddedDatabase, startEmbeddedPostgres } from './index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the embedded database (PGlite over the Postgres wire protocol)', () => {
  it('keeps its data in the data folder across restarts, and refuses a second opener meanwhile', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'figdesk-pglite-'));
    dirs.push(dataDir);

    const first = await startEmbeddedPostgres({ dataDir, host: '127.0.0.1', port: 0 });
    const pool = sharedEmbeddedDatabase(first.url);
    const knex = pool.factory('test').primary;
    await knex.raw('create table kept (note text)');
    await knex('kept').insert({ note: 'survives' });
    await expect(startEmbeddedPostgres({ dataDir, host: '127.0.0.1', port: 0 })).rejects.toThrow(/in use by process/);
    await pool.close();
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir, host: '127.0.0.1', port: 0 });
    const again = sharedEmbeddedDatabase(second.url);
    expect(await again.factory('test').primary('kept').select('note')).toEqual([{ note: 'survives' }]);
    await again.close();
    await second.stop();
  });
});
