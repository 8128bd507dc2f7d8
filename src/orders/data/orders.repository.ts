import { likeLiteral, type Db } from '../../platform/db/index.js';

export type { Db };
export type OrderStatus = 'open' | 'paid' | 'shipped' | 'cancelled';

export interface OrderRow {
  id: string;
  number: string;
  client_id: string;
  status: OrderStatus;
  /** numeric comes back as text: money is never a float. */
  total: string;
  currency: string;
  legacy_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface NewOrderRow {
  id: string;
  number?: string;
  client_id: string;
  status: OrderStatus;
  total: string;
  currency: string;
  legacy_id: number | null;
  created_at: Date;
  /** Defaults to created_at. */
  updated_at?: Date;
}

const COLUMNS = ['id', 'number', 'client_id', 'status', 'total', 'currency', 'legacy_id', 'version', 'created_at', 'updated_at'];
const table = (db: Db) => db.withSchema('orders').table('orders');

export interface OrderFilter {
  /** Part of the order number, ignoring case. */
  q?: string;
  number?: string;
  clientIds?: string[];
  legacyIds?: number[];
}

/** One page in id order after `afterId`. */
export function listOrders(db: Db, options: { filter: OrderFilter; afterId?: string; limit: number }): Promise<OrderRow[]> {
  const { filter } = options;
  const query = table(db).select(COLUMNS).orderBy('id').limit(options.limit);
  if (filter.q) query.whereRaw("lower(number) like '%' || lower(?) || '%'", [likeLiteral(filter.q)]);
  if (filter.number) query.where('number', filter.number);
  if (filter.clientIds) query.whereIn('client_id', filter.clientIds);
  if (filter.legacyIds) query.whereIn('legacy_id', filter.legacyIds);
  if (options.afterId) query.where('id', '>', options.afterId);
  return query;
}

export async function findOrder(db: Db, id: string): Promise<OrderRow | undefined> {
  return table(db).select(COLUMNS).where({ id }).first();
}

/** Native orders are numbered ORD-000001…; a duplicate number, id or legacy id is 23505 (409). */
export async function insertOrder(db: Db, row: NewOrderRow): Promise<OrderRow> {
  const number = row.number ?? db.raw("(select 'ORD-' || lpad(n::text, greatest(6, length(n::text)), '0') from (select nextval('orders.order_number_seq') as n) next)");
  const [stored] = await table(db).insert({ ...row, number, updated_at: row.updated_at ?? row.created_at }).returning(COLUMNS);
  return stored as OrderRow;
}

export type OrderChanges = Partial<Pick<OrderRow, 'status' | 'total' | 'currency'>>;

/** Applies changes if the row still has `version`; undefined when it does not (or does not exist). */
export async function updateOrder(db: Db, id: string, version: number, changes: OrderChanges, now: Date): Promise<OrderRow | undefined> {
  const [stored] = await table(db).where({ id, version }).update({ ...changes, updated_at: now, version: db.raw('version + 1') }).returning(COLUMNS);
  return stored as OrderRow | undefined;
}
