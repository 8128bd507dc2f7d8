import type { Knex } from 'knex';
import type { Actor, Db } from './incident.repository.js';

export type HistoryKind = 'created' | 'field' | 'status' | 'assignment' | 'comment' | 'problem_link' | 'sla';

export interface HistoryEntry {
  incident_id: string;
  at: Date;
  actor: Actor | null;
  kind: HistoryKind;
  field?: string | null;
  before?: unknown;
  after?: unknown;
}

export interface HistoryRow extends Required<HistoryEntry> {
  id: number;
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** The insert of history entries, not yet run (the unit of work sends it with the outbox insert). */
export function historyInsert(trx: Knex.Transaction, entries: HistoryEntry[]): Knex.QueryBuilder {
  return trx.withSchema('incidents').table('history').insert(
    entries.map((entry) => ({ incident_id: entry.incident_id, at: entry.at, actor: json(entry.actor), kind: entry.kind, field: entry.field ?? null, before: json(entry.before), after: json(entry.after) })),
  );
}

/** In the order it happened; `afterId` continues a page. */
export async function listHistory(db: Db, incidentId: string, options: { afterId?: number; limit: number }): Promise<HistoryRow[]> {
  const query = db.withSchema('incidents').table('history').where({ incident_id: incidentId }).orderBy('id').limit(options.limit);
  if (options.afterId !== undefined) query.where('id', '>', options.afterId);
  return query as Promise<HistoryRow[]>;
}
