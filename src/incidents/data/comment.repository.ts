import type { Knex } from 'knex';
import type { Db } from './incident.repository.js';

export type Visibility = 'public' | 'internal';

export interface CommentAuthor {
  id: string;
  username: string;
  name?: string;
  /** Who wrote it: an agent, the reporter (through a channel), or the system (a problem's resolution). */
  kind: 'agent' | 'reporter' | 'system';
}

export interface CommentRow {
  id: string;
  incident_id: string;
  author: CommentAuthor;
  visibility: Visibility;
  body: string;
  attachments: unknown[];
  created_at: Date;
}

/** The insert of comments, for UnitOfWork.flush to send with the rest of a transaction's writes. */
export function commentInsert(trx: Knex.Transaction, rows: CommentRow[]): Knex.QueryBuilder {
  return trx
    .withSchema('incidents')
    .table('comments')
    .insert(rows.map((row) => ({ ...row, author: JSON.stringify(row.author), attachments: JSON.stringify(row.attachments) })));
}

/** Oldest first; `after` is the (created_at, id) of the last comment of the previous page. */
export async function listComments(db: Db, incidentId: string, options: { visibility?: Visibility; after?: [string, string]; limit: number }): Promise<CommentRow[]> {
  const query = db.withSchema('incidents').table('comments').where({ incident_id: incidentId }).orderBy([{ column: 'created_at' }, { column: 'id' }]).limit(options.limit);
  if (options.visibility) query.where({ visibility: options.visibility });
  if (options.after) query.whereRaw('(created_at, id) > (?::timestamptz, ?::uuid)', options.after);
  return query as Promise<CommentRow[]>;
}
