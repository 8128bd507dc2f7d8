import type { Knex } from 'knex';

/** How many rows of a queue table are pending, and how old the oldest is (0 when none). */
export async function queueBacklog(table: Knex.QueryBuilder, since: string, now: Date): Promise<{ pending: number; oldestAgeSeconds: number }> {
  const row = (await table.where({ state: 'pending' }).first(table.client.raw('count(*)::int as pending'), table.client.raw(`min(??) as oldest`, [since]))) as { pending: number; oldest: Date | null };
  return { pending: row.pending, oldestAgeSeconds: row.oldest ? Math.max(0, (now.getTime() - new Date(row.oldest).getTime()) / 1000) : 0 };
}
