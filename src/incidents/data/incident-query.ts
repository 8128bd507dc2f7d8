import type { Knex } from 'knex';
import { selectIncidents, type Channel, type Db, type IncidentRow, type Priority, type Status } from './incident.repository.js';

export interface IncidentFilter {
  status?: Status[];
  priority?: Priority[];
  category?: string[];
  channel?: Channel[];
  /** A Keycloak user id, or `none` for unassigned. */
  assignee?: string | 'none';
  group?: string;
  tag?: string;
  clientId?: string;
  orderId?: string;
  problemId?: string;
  createdFrom?: Date;
  createdTo?: Date;
  updatedFrom?: Date;
  updatedTo?: Date;
  /** Words to find in title and description (web-search syntax: "quoted phrase", -not, or). */
  text?: string;
  /** Any SLA target missed (or, false: none missed). */
  breached?: boolean;
  /** Open, running, and its resolution due within this many milliseconds. */
  dueWithinMs?: number;
}

export const SORT_COLUMNS = { created_at: 'i.created_at', updated_at: 'i.updated_at', due: 'i.resolution_due_at', priority: 'i.priority' } as const;
export type SortKey = keyof typeof SORT_COLUMNS;
export interface Sort {
  key: SortKey;
  direction: 'asc' | 'desc';
}

const OPEN = ['new', 'in_progress', 'waiting_customer'];

/** The SLA "breached" condition, evaluated at `now` (a paused clock reads the moment it stopped). */
function breachedCondition(where: Knex.QueryBuilder, now: Date) {
  return where
    .where('i.first_response_breached', true)
    .orWhere('i.resolution_breached', true)
    .orWhere((open) =>
      open.whereIn('i.status', OPEN).andWhere((late) =>
        late
          .whereRaw('coalesce(i.sla_paused_at, ?) > i.resolution_due_at', [now])
          .orWhereRaw('i.first_responded_at is null and coalesce(i.sla_paused_at, ?) > i.first_response_due_at', [now]),
      ),
    );
}

function applyFilter(query: Knex.QueryBuilder, filter: IncidentFilter, now: Date): Knex.QueryBuilder {
  if (filter.status?.length) query.whereIn('i.status', filter.status);
  if (filter.priority?.length) query.whereIn('i.priority', filter.priority);
  if (filter.category?.length) query.whereIn('i.category', filter.category);
  if (filter.channel?.length) query.whereIn('i.channel', filter.channel);
  if (filter.assignee === 'none') query.whereNull('i.assignee_id');
  else if (filter.assignee) query.where('i.assignee_id', filter.assignee);
  if (filter.group) query.where('i.group_name', filter.group);
  if (filter.tag) query.whereRaw('? = any(i.tags)', [filter.tag]);
  if (filter.clientId) query.where('i.client_id', filter.clientId);
  if (filter.orderId) query.where('i.order_id', filter.orderId);
  if (filter.problemId) query.where('i.problem_id', filter.problemId);
  if (filter.createdFrom) query.where('i.created_at', '>=', filter.createdFrom);
  if (filter.createdTo) query.where('i.created_at', '<', filter.createdTo);
  if (filter.updatedFrom) query.where('i.updated_at', '>=', filter.updatedFrom);
  if (filter.updatedTo) query.where('i.updated_at', '<', filter.updatedTo);
  if (filter.text) query.whereRaw("i.search @@ websearch_to_tsquery('simple', ?)", [filter.text]);
  if (filter.breached === true) query.where((where) => breachedCondition(where, now));
  if (filter.breached === false) query.whereNot((where) => breachedCondition(where, now));
  if (filter.dueWithinMs !== undefined) {
    query.whereIn('i.status', OPEN).whereNull('i.sla_paused_at').where('i.resolution_due_at', '>=', now).where('i.resolution_due_at', '<', new Date(now.getTime() + filter.dueWithinMs));
  }
  return query;
}

/**
 * One page of incidents in a stable total order (the sort column, then id), continuing
 * after `after` = [sort value, id] of the previous page's last row. Fetches limit + 1 rows.
 */
export async function listIncidents(db: Db, options: ListOptions): Promise<IncidentRow[]> {
  return listIncidentsQuery(db, options) as unknown as Promise<IncidentRow[]>;
}

export interface ListOptions {
  filter: IncidentFilter;
  sort: Sort;
  after?: [string, string];
  limit: number;
  now: Date;
}

/** The list query itself, unexecuted (benchmarks run its SQL directly as the baseline). */
export function listIncidentsQuery(db: Db, options: ListOptions): Knex.QueryBuilder {
  const column = SORT_COLUMNS[options.sort.key];
  const direction = options.sort.direction;
  const query = applyFilter(selectIncidents(db), options.filter, options.now)
    .orderBy([{ column, order: direction }, { column: 'i.id', order: direction }])
    .limit(options.limit + 1);
  if (options.after) {
    const cast = options.sort.key === 'priority' ? 'text' : 'timestamptz';
    query.whereRaw(`(${column}, i.id) ${direction === 'desc' ? '<' : '>'} (?::${cast}, ?::uuid)`, options.after);
  }
  return query;
}

/** The value of the sort column in a row, as the cursor stores it. */
export function sortValue(row: IncidentRow, key: SortKey): string {
  const value = key === 'due' ? row.resolution_due_at : key === 'priority' ? row.priority : row[key];
  return value instanceof Date ? value.toISOString() : String(value);
}
