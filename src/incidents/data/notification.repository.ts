import type { Knex } from 'knex';
import type { Db } from './incident.repository.js';
import { queueBacklog } from './queue-backlog.js';

export type NotificationChannel = 'telegram' | 'sms';
export type NotificationState = 'pending' | 'sent' | 'dead';
export type Language = 'en' | 'ru';

export interface NewNotification {
  /** Also the idempotency key of the send: one per (event, recipient). */
  id: string;
  event_id: string;
  incident_id: string | null;
  channel: NotificationChannel;
  /** A Telegram chat id or a phone number. */
  recipient: string;
  language: Language;
  template: string;
  params: Record<string, unknown>;
  created_at: Date;
}

export interface NotificationRow extends NewNotification {
  state: NotificationState;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  sent_at: Date | null;
}

const notifications = (db: Db) => db.withSchema('incidents').table('notifications');

/** The insert, not yet run: the unit of work sends it with the change's other writes. */
export function notificationInsert(trx: Knex.Transaction, rows: NewNotification[]): Knex.QueryBuilder {
  return notifications(trx).insert(rows.map((row) => ({ ...row, params: JSON.stringify(row.params), next_attempt_at: row.created_at })));
}

/**
 * Takes up to `limit` messages due now, each for `leaseMs`: a worker that dies mid-batch lets
 * its messages go when the lease ends, and another sends them. Oldest first.
 */
export async function claimNotifications(db: Knex, now: Date, leaseMs: number, limit: number, channels: NotificationChannel[]): Promise<NotificationRow[]> {
  const { rows } = await db.raw(
    `update incidents.notifications set locked_until = ?::timestamptz + make_interval(secs => ? / 1000.0), attempts = attempts + 1
     where id in (
       select id from incidents.notifications
       where state = 'pending' and next_attempt_at <= ? and (locked_until is null or locked_until < ?) and channel = any(?::text[])
       order by next_attempt_at, id limit ? for update skip locked)
     returning *`,
    [now, leaseMs, now, now, channels, limit],
  );
  return (rows as NotificationRow[]).sort((a, b) => (a.id < b.id ? -1 : 1));
}

export async function markSent(db: Db, id: string, at: Date): Promise<void> {
  await notifications(db).where({ id }).update({ state: 'sent', sent_at: at, locked_until: null, last_error: null });
}

/** A failed send: due again at `retryAt`, or, with none, dead. True when this call made it dead. */
export async function markFailed(db: Db, id: string, error: string, retryAt: Date | null): Promise<boolean> {
  const rows = await notifications(db)
    .where({ id, state: 'pending' })
    .update({ state: retryAt ? 'pending' : 'dead', next_attempt_at: retryAt ?? db.raw('next_attempt_at'), locked_until: null, last_error: error.slice(0, 2000) })
    .returning('id');
  return !retryAt && rows.length === 1;
}

/** Messages in one state, newest first; `before` is the (created_at, id) of the previous page's last. */
export async function listNotifications(db: Db, options: { state?: NotificationState; incidentId?: string; before?: [string, string]; limit: number }): Promise<NotificationRow[]> {
  const query = notifications(db).select('*').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(options.limit);
  if (options.state) query.where({ state: options.state });
  if (options.incidentId) query.where({ incident_id: options.incidentId });
  if (options.before) query.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', options.before);
  return query as Promise<NotificationRow[]>;
}

/** An admin's retry of a dead message: due now, attempts counted afresh. */
export async function retryNotification(db: Db, id: string, now: Date): Promise<NotificationRow | undefined> {
  const [row] = await notifications(db).where({ id, state: 'dead' }).update({ state: 'pending', attempts: 0, next_attempt_at: now, locked_until: null }).returning('*');
  return row as NotificationRow | undefined;
}

/** Pending messages and the age of the oldest, for the queue gauges. */
export const notificationBacklog = (db: Db, now: Date) => queueBacklog(notifications(db), 'created_at', now);

export async function notificationState(db: Db, id: string): Promise<NotificationState | undefined> {
  const row = (await notifications(db).where({ id }).first('state')) as { state: NotificationState } | undefined;
  return row?.state;
}
