import { likeLiteral, type Db } from '../../platform/db/index.js';

export type { Db };

export interface ClientRow {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  legacy_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export type NewClientRow = Omit<ClientRow, 'version' | 'updated_at' | 'legacy_id'> & { legacy_id: number | null };
export type ClientChanges = Partial<Pick<ClientRow, 'name' | 'phone' | 'email'>>;

const COLUMNS = ['id', 'name', 'phone', 'email', 'legacy_id', 'version', 'created_at', 'updated_at'];
const table = (db: Db) => db.withSchema('clients').table('clients');

export interface ClientFilter {
  /** Substring of the name, ignoring case and accents. */
  name?: string;
  /** The digits of a phone number: clients whose phone has exactly these digits. */
  phoneDigits?: string;
  legacyIds?: number[];
}

/** One page in id order (legacy-born ids first, by legacy id; then native ones by creation), after `afterId`. */
export function listClients(db: Db, options: { filter: ClientFilter; afterId?: string; limit: number }): Promise<ClientRow[]> {
  const query = table(db).select(COLUMNS).orderBy('id').limit(options.limit);
  if (options.filter.name) query.whereRaw("search_name like '%' || clients.fold(?) || '%'", [likeLiteral(options.filter.name)]);
  if (options.filter.phoneDigits) query.where('phone_digits', options.filter.phoneDigits);
  if (options.filter.legacyIds) query.whereIn('legacy_id', options.filter.legacyIds);
  if (options.afterId) query.where('id', '>', options.afterId);
  return query;
}

export async function findClient(db: Db, id: string): Promise<ClientRow | undefined> {
  return table(db).select(COLUMNS).where({ id }).first();
}

/** A duplicate id or legacy id fails with 23505 (409 at the edge): one copy per legacy record. */
export async function insertClient(db: Db, row: NewClientRow): Promise<ClientRow> {
  const [stored] = await table(db).insert({ ...row, updated_at: row.created_at }).returning(COLUMNS);
  return stored as ClientRow;
}

/** Applies changes if the row still has `version`; undefined when it does not (or does not exist). */
export async function updateClient(db: Db, id: string, version: number, changes: ClientChanges, now: Date): Promise<ClientRow | undefined> {
  const [stored] = await table(db).where({ id, version }).update({ ...changes, updated_at: now, version: db.raw('version + 1') }).returning(COLUMNS);
  return stored as ClientRow | undefined;
}
