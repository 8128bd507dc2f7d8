import type pg from 'pg';
import { BITMAP_ONLY } from '../../src/incidents/data/incident-query.js';

/** One page's statements as `listIncidentsPlan` builds them, in pg's native form. */
export interface ListStatements {
  first: { sql: string; bindings: readonly unknown[] };
  fromIndex?: { sql: string; bindings: readonly unknown[] };
  limit: number;
}

/**
 * Runs a page's statements through pg as `listIncidents` runs them through knex: the second only
 * when the first did not fill the page, in a transaction with index scans off.
 */
export async function runListStatements(pool: pg.Pool, list: ListStatements): Promise<pg.QueryResult> {
  const rows = await pool.query(list.first.sql, list.first.bindings as unknown[]);
  if (!list.fromIndex || (rows.rowCount ?? 0) > list.limit) return rows;
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(BITMAP_ONLY);
    const all = await client.query(list.fromIndex.sql, list.fromIndex.bindings as unknown[]);
    await client.query('commit');
    return all;
  } finally {
    client.release();
  }
}
