import type { Knex } from 'knex';
import type { Actor, Db } from './incident.repository.js';

export type ProblemStatus = 'open' | 'investigating' | 'resolved' | 'closed';
export type ProblemOrigin = 'p1' | 'cluster' | 'escalation' | 'manual';

export interface ProblemRow {
  id: string;
  number: number;
  title: string;
  description: string;
  status: ProblemStatus;
  owner_id: string | null;
  owner_name: string | null;
  root_cause: string | null;
  resolution: string | null;
  origin: ProblemOrigin;
  cluster_key: string | null;
  created_by: Actor;
  version: number;
  created_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
  closed_at: Date | null;
}

export type NewProblemRow = Pick<ProblemRow, 'id' | 'title' | 'description' | 'origin' | 'cluster_key' | 'created_by' | 'created_at' | 'owner_id' | 'owner_name'>;
export type ProblemChanges = Partial<Pick<ProblemRow, 'title' | 'description' | 'status' | 'owner_id' | 'owner_name' | 'root_cause' | 'resolution' | 'resolved_at' | 'closed_at'>>;

const table = (db: Db) => db.withSchema('incidents').table('problems');

export async function insertProblem(trx: Knex.Transaction, row: NewProblemRow): Promise<ProblemRow> {
  const [stored] = await table(trx).insert({ ...row, created_by: JSON.stringify(row.created_by), updated_at: row.created_at }).returning('*');
  return stored as ProblemRow;
}

export async function findProblem(db: Db, ref: { id: string } | { number: number }, options: { forUpdate?: boolean } = {}): Promise<ProblemRow | undefined> {
  const query = table(db).where(ref).first();
  return (options.forUpdate ? query.forUpdate() : query) as Promise<ProblemRow | undefined>;
}

/**
 * The open (or investigating) problem of a cluster, locked for share: a resolution under way
 * finishes first, and a problem it resolved is no longer found.
 */
export async function findOpenProblemByClusterKey(trx: Knex.Transaction, clusterKey: string): Promise<ProblemRow | undefined> {
  return table(trx).where({ cluster_key: clusterKey }).whereIn('status', ['open', 'investigating']).first().forShare() as Promise<ProblemRow | undefined>;
}

export async function updateProblem(trx: Knex.Transaction, id: string, changes: ProblemChanges, now: Date): Promise<ProblemRow> {
  const [stored] = await table(trx).where({ id }).update({ ...changes, updated_at: now, version: trx.raw('version + 1') }).returning('*');
  return stored as ProblemRow;
}

/** Newest first; `after` is the (created_at, id) of the previous page's last problem. */
export async function listProblems(db: Db, options: { status?: ProblemStatus[]; origin?: ProblemOrigin[]; after?: [string, string]; limit: number }): Promise<ProblemRow[]> {
  const query = table(db).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(options.limit);
  if (options.status?.length) query.whereIn('status', options.status);
  if (options.origin?.length) query.whereIn('origin', options.origin);
  if (options.after) query.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', options.after);
  return query as Promise<ProblemRow[]>;
}
