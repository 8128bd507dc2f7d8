import type { Knex } from 'knex';
import { INCIDENT_COLUMNS, selectIncidents, type Channel, type Db, type IncidentRow, type Priority, type Status } from './incident.repository.js';

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
 * How many incidents a text search reads down the index of the list's order (the date index;
 * for the open incidents' queue the due-time index), at most, before it asks the GIN index
 * instead. PostgreSQL chooses between the two by the words' frequency over the whole table,
 * so words that are rare among recent incidents, absent, or never found together made it walk
 * every row: 3.7 s on 1,000,000 incidents (docs/benchmarks.md). Bounded, the walk costs a few
 * milliseconds, and a search it cannot fill a page for is answered from the GIN index, whose
 * cost grows with the matches rather than with the table.
 */
export const TEXT_WALK_ROWS = 10_000;

export interface ListOptions {
  filter: IncidentFilter;
  sort: Sort;
  after?: [string, string];
  limit: number;
  now: Date;
  /** TEXT_WALK_ROWS unless given (tests bound the walk to a few rows). */
  textWalkRows?: number;
}

/**
 * How a list is read: one statement, or two for a text search in an order an index walks.
 * `first` is complete when it returns limit + 1 rows; otherwise `fromIndex` (run under
 * BITMAP_ONLY) is the whole answer.
 */
export interface ListPlan {
  first: Knex.QueryBuilder;
  fromIndex?: Knex.QueryBuilder;
}

/**
 * Index scans off for one transaction: PostgreSQL then reads the matches through bitmaps (the
 * GIN index), not by walking an ordered index.
 */
export const BITMAP_ONLY = "select set_config('enable_indexscan', 'off', true)";

/**
 * The filters the index walked in the list's order answers itself (index conditions and a
 * partial index's predicate), so they bound the walk rather than discard rows from it; none
 * when no index walks that order for this filter.
 */
function walkedIndexFilter(filter: IncidentFilter, sort: SortKey): IncidentFilter | undefined {
  // A client's and an order's incidents have indexes in creation order of their own. (A
  // category has one too, but PostgreSQL preferred the date index for it, filtering: 60,000
  // rows walked for 10,000 of one category, where the date index alone walks 10,000.)
  if (sort === 'created_at') return { createdFrom: filter.createdFrom, createdTo: filter.createdTo, clientId: filter.clientId, orderId: filter.orderId };
  if (sort === 'updated_at') return { updatedFrom: filter.updatedFrom, updatedTo: filter.updatedTo };
  // Only open incidents have an index in due order (the agents' queues: by assignee, and all).
  const openOnly = filter.dueWithinMs !== undefined || (filter.status?.length && filter.status.every((status) => OPEN.includes(status)));
  if (sort === 'due' && openOnly) return { status: filter.status, assignee: filter.assignee, dueWithinMs: filter.dueWithinMs };
  return undefined;
}

/** Continues after the cursor's [sort value, id]. */
function after(query: Knex.QueryBuilder, options: ListOptions): Knex.QueryBuilder {
  if (!options.after) return query;
  const column = SORT_COLUMNS[options.sort.key];
  const cast = options.sort.key === 'priority' ? 'text' : 'timestamptz';
  return query.whereRaw(`(${column}, i.id) ${options.sort.direction === 'desc' ? '<' : '>'} (?::${cast}, ?::uuid)`, options.after);
}

/** The stable total order: the sort column, then id. */
const ordered = (query: Knex.QueryBuilder, options: ListOptions) =>
  query.orderBy([{ column: SORT_COLUMNS[options.sort.key], order: options.sort.direction }, { column: 'i.id', order: options.sort.direction }]);

/** A page (limit + 1 rows) of `source` in the list's order after the cursor, filtered. */
const page = (source: Knex.QueryBuilder, options: ListOptions) => ordered(after(applyFilter(source, options.filter, options.now), options), options).limit(options.limit + 1);

/**
 * The statements for one page of incidents in a stable total order (the sort column, then id),
 * continuing after `after` = [sort value, id] of the previous page's last row. Each fetches
 * limit + 1 rows. Benchmarks run the same statements directly as their baseline.
 */
export function listIncidentsPlan(db: Db, options: ListOptions): ListPlan {
  const whole = page(selectIncidents(db), options);
  const bounds = options.filter.text ? walkedIndexFilter(options.filter, options.sort.key) : undefined;
  if (!bounds) return { first: whole };
  // The walk, bounded: the first rows in the list's order after the cursor that the walked
  // index itself selects, then every filter on those.
  const walked = ordered(after(applyFilter(db.withSchema('incidents').from('incidents as i').select('i.*'), bounds, options.now), options), options).limit(options.textWalkRows ?? TEXT_WALK_ROWS);
  return { first: page(db.from(walked.as('i')).select(INCIDENT_COLUMNS), options), fromIndex: whole };
}

/** One page of incidents (limit + 1 rows; see listIncidentsPlan). */
export async function listIncidents(db: Db, options: ListOptions): Promise<IncidentRow[]> {
  const plan = listIncidentsPlan(db, options);
  const rows = (await plan.first) as IncidentRow[];
  const fromIndex = plan.fromIndex;
  if (!fromIndex || rows.length > options.limit) return rows;
  // The bounded walk did not fill the page: the whole answer, from the GIN index, in one
  // statement (one snapshot, so nothing shows twice or goes missing between the two).
  return db.transaction(async (trx) => {
    await trx.raw(BITMAP_ONLY);
    return (await fromIndex.transacting(trx)) as IncidentRow[];
  });
}

/** The value of the sort column in a row, as the cursor stores it. */
export function sortValue(row: IncidentRow, key: SortKey): string {
  const value = key === 'due' ? row.resolution_due_at : key === 'priority' ? row.priority : row[key];
  return value instanceof Date ? value.toISOString() : String(value);
}
