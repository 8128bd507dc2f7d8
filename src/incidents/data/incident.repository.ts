import type { Knex } from 'knex';
import { outboxRow, type DomainEvent } from '../../platform/events/index.js';
import { historyInsert, type HistoryEntry } from './history.repository.js';
import type { Priority } from '../domain/sla.js';
import type { Status } from '../domain/status-machine.js';

export type { Priority, Status };
export type Channel = 'web' | 'telegram' | 'sms' | 'esb' | 'api';
export type Db = Knex | Knex.Transaction;

export interface Reporter {
  name?: string;
  email?: string;
  phone?: string;
  telegram_chat_id?: string;
  language?: 'en' | 'ru';
}

export interface Actor {
  id: string;
  username: string;
  name?: string;
}

export interface IncidentRow {
  id: string;
  number: number;
  title: string;
  description: string;
  channel: Channel;
  category: string | null;
  priority: Priority;
  status: Status;
  reporter: Reporter;
  client_id: string | null;
  order_id: string | null;
  assignee_id: string | null;
  assignee_name: string | null;
  group_name: string | null;
  tags: string[];
  problem_id: string | null;
  /** From the linked problem, for its human key. */
  problem_number: number | null;
  resolution: string | null;
  cancel_reason: string | null;
  first_response_due_at: Date;
  resolution_due_at: Date;
  first_responded_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  sla_paused_at: Date | null;
  sla_paused_ms: number;
  first_response_breached: boolean;
  resolution_breached: boolean;
  created_by: Actor;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A problem's id and number change together (the database holds them to one problem). */
type ProblemLinkChange = { problem_id?: never; problem_number?: never } | { problem_id: string; problem_number: number } | { problem_id: null; problem_number: null };

/** Columns a command may change; `version` and `updated_at` are set by `updateIncident`. */
export type IncidentChanges = Partial<Omit<IncidentRow, 'id' | 'number' | 'problem_id' | 'problem_number' | 'created_by' | 'created_at' | 'version' | 'updated_at'>> & ProblemLinkChange;

export type NewIncidentRow = Omit<IncidentRow, 'number' | 'problem_number' | 'version' | 'updated_at' | 'status' | 'first_responded_at' | 'resolved_at' | 'closed_at' | 'sla_paused_at' | 'sla_paused_ms' | 'first_response_breached' | 'resolution_breached' | 'resolution' | 'cancel_reason'>;

export const INCIDENT_COLUMNS = [
  'i.id', 'i.number', 'i.title', 'i.description', 'i.channel', 'i.category', 'i.priority', 'i.status', 'i.reporter',
  'i.client_id', 'i.order_id', 'i.assignee_id', 'i.assignee_name', 'i.group_name', 'i.tags', 'i.problem_id',
  'i.problem_number', 'i.resolution', 'i.cancel_reason', 'i.first_response_due_at', 'i.resolution_due_at',
  'i.first_responded_at', 'i.resolved_at', 'i.closed_at', 'i.sla_paused_at', 'i.sla_paused_ms', 'i.first_response_breached',
  'i.resolution_breached', 'i.created_by', 'i.version', 'i.created_at', 'i.updated_at',
];

/** Incidents with their problem's number (kept on the row, no join); every read goes through here. */
export const selectIncidents = (db: Db) => db.withSchema('incidents').from('incidents as i').select(INCIDENT_COLUMNS);

const table = (db: Db) => db.withSchema('incidents').table('incidents');

const jsonColumns = (row: Partial<IncidentRow>) => ({
  ...row,
  ...(row.reporter ? { reporter: JSON.stringify(row.reporter) } : {}),
  ...(row.created_by ? { created_by: JSON.stringify(row.created_by) } : {}),
});

/** The same columns unqualified, as `returning` gives them back. */
const OWN_COLUMNS = INCIDENT_COLUMNS.map((column) => column.slice(2));

/** Inserts and returns the row as stored, in one round trip. */
export async function insertIncident(trx: Knex.Transaction, row: NewIncidentRow): Promise<IncidentRow> {
  const [stored] = await table(trx).insert({ ...jsonColumns(row), updated_at: row.created_at }).returning(OWN_COLUMNS);
  return stored as IncidentRow;
}

export interface NewIncidentRecords {
  row: NewIncidentRow;
  history: HistoryEntry;
  event: DomainEvent;
}

/**
 * Inserts incidents, their history entries and their outbox events in ONE statement: atomic on
 * its own, so no transaction, and one round trip for however many incidents (group commit
 * sends several). Each event's `data.key` is filled in by Postgres from the number the
 * sequence gives (incidents.incident_key). Rows come back in the order given.
 */
export async function insertIncidentsWithRecords(db: Knex, items: NewIncidentRecords[]): Promise<IncidentRow[]> {
  const incidents = table(db).insert(items.map(({ row }) => ({ ...jsonColumns(row), updated_at: row.created_at }))).returning(OWN_COLUMNS).toSQL();
  const entries = historyInsert(db as Knex.Transaction, items.map(({ history }) => history)).toSQL();
  const records = items.map(({ row, event }) => outboxRow(event, row.created_at.toISOString()));
  const values = records.map(() => '(?::uuid, ?, ?, ?::uuid, ?::timestamptz, ?::jsonb)').join(', ');
  const sql = `with i as (${incidents.sql}), h as (${entries.sql}),
    o as (insert into incidents.outbox (event_id, type, aggregate_type, aggregate_id, occurred_at, payload)
          select e.event_id, e.type, e.aggregate_type, e.aggregate_id, e.occurred_at, jsonb_set(e.payload, '{data,key}', to_jsonb(incidents.incident_key(i.number)))
          from (values ${values}) as e(event_id, type, aggregate_type, aggregate_id, occurred_at, payload) join i on i.id = e.aggregate_id)
    select * from i`;
  const bindings = [...incidents.bindings, ...entries.bindings, ...records.flatMap((record) => [record.event_id, record.type, record.aggregate_type, record.aggregate_id, record.occurred_at, record.payload])];
  const { rows } = await db.raw(sql, bindings as never);
  const byId = new Map((rows as IncidentRow[]).map((stored) => [stored.id, stored]));
  return items.map(({ row }) => byId.get(row.id) as IncidentRow);
}

/** By UUID or number; `forUpdate` locks the row for the rest of the transaction. */
export async function findIncident(db: Db, ref: { id: string } | { number: number }, options: { forUpdate?: boolean } = {}): Promise<IncidentRow | undefined> {
  const where = 'id' in ref ? { 'i.id': ref.id } : { 'i.number': ref.number };
  const query = selectIncidents(db).where(where).first();
  return (options.forUpdate ? query.forUpdate('i') : query) as Promise<IncidentRow | undefined>;
}

/** Applies changes, bumps the version, and returns the row as stored. */
export async function updateIncident(trx: Knex.Transaction, id: string, changes: IncidentChanges, now: Date): Promise<IncidentRow> {
  const [stored] = await table(trx)
    .where({ id })
    .update({ ...jsonColumns(changes), updated_at: now, version: trx.raw('version + 1') })
    .returning(OWN_COLUMNS);
  return stored as IncidentRow;
}

/** Open incidents of one category for one client or order since a moment, oldest first. */
export async function openIncidentsLike(trx: Knex.Transaction, match: { category: string; column: 'client_id' | 'order_id'; value: string; since: Date }): Promise<{ id: string; problem_id: string | null }[]> {
  return table(trx)
    .select('id', 'problem_id')
    .where({ category: match.category, [match.column]: match.value })
    .whereIn('status', ['new', 'in_progress', 'waiting_customer'])
    .where('created_at', '>=', match.since)
    .orderBy([{ column: 'created_at' }, { column: 'id' }]);
}

/** Open incidents linked to a problem, locked (the problem's resolution changes them). */
export async function openIncidentsOfProblem(trx: Knex.Transaction, problemId: string): Promise<IncidentRow[]> {
  return selectIncidents(trx)
    .where('i.problem_id', problemId)
    .whereIn('i.status', ['new', 'in_progress', 'waiting_customer'])
    .orderBy('i.number')
    .forUpdate('i') as Promise<IncidentRow[]>;
}

export async function countIncidentsOfProblem(db: Db, problemId: string): Promise<number> {
  const [row] = await table(db).where({ problem_id: problemId }).count({ n: '*' });
  return Number(row?.n ?? 0);
}

/** Open incidents per priority, for the incidents_open gauge. */
export async function countOpenByPriority(db: Db): Promise<{ priority: Priority; n: number }[]> {
  return table(db).select('priority').count({ n: '*' }).whereIn('status', ['new', 'in_progress', 'waiting_customer']).groupBy('priority') as never;
}

/** Open incidents whose running clock passed a due time not yet flagged; locked, skipping rows others hold. */
export async function incidentsPastDue(trx: Knex.Transaction, now: Date, limit: number): Promise<IncidentRow[]> {
  return selectIncidents(trx)
    .whereIn('i.status', ['new', 'in_progress', 'waiting_customer'])
    .whereNull('i.sla_paused_at')
    .where((where) =>
      where
        .where((first) => first.where('i.first_response_breached', false).whereNull('i.first_responded_at').where('i.first_response_due_at', '<', now))
        .orWhere((resolution) => resolution.where('i.resolution_breached', false).where('i.resolution_due_at', '<', now)),
    )
    .orderBy('i.resolution_due_at')
    .limit(limit)
    .forUpdate('i')
    .skipLocked() as Promise<IncidentRow[]>;
}

/** Resolved incidents older than the cutoff, for the auto-close job. */
export async function resolvedBefore(trx: Knex.Transaction, cutoff: Date, limit: number): Promise<IncidentRow[]> {
  return selectIncidents(trx).where('i.status', 'resolved').where('i.resolved_at', '<', cutoff).orderBy('i.resolved_at').limit(limit).forUpdate('i').skipLocked() as Promise<IncidentRow[]>;
}

/** SLA flags are the system's bookkeeping, not an edit: neither version nor updated_at move. */
export async function setBreachFlags(trx: Knex.Transaction, id: string, flags: Partial<Pick<IncidentRow, 'first_response_breached' | 'resolution_breached'>>): Promise<void> {
  await table(trx).where({ id }).update(flags);
}
