import type { Knex } from 'knex';
import type { Db } from './incident.repository.js';
import { queueBacklog } from './queue-backlog.js';

export type InboxChannel = 'telegram' | 'sms' | 'esb';
export type InboxState = 'pending' | 'done' | 'failed' | 'ignored';

export interface NewInboxItem {
  channel: InboxChannel;
  /** The channel's own id of the message: a repeat of it is recognised and changes nothing. */
  external_id: string;
  /** A chat or a phone number: its messages are handled one at a time, in arrival order. */
  conversation: string | null;
  payload: unknown;
  received_at: Date;
}

export interface InboxItem extends NewInboxItem {
  id: string;
  state: InboxState;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  processed_at: Date | null;
  incident_id: string | null;
  request_hash: string | null;
  result_status: number | null;
  result_body: unknown;
}

const inbox = (db: Db) => db.withSchema('incidents').table('inbox');
const asRow = (item: NewInboxItem) => ({ ...item, payload: JSON.stringify(item.payload), next_attempt_at: item.received_at });

/**
 * Stores messages as received, several in one statement (group commit). Answers, per message,
 * whether it was new: a channel's retry of a message already stored is not stored again.
 */
export async function storeInboxItems(db: Knex, items: NewInboxItem[]): Promise<boolean[]> {
  const stored: { channel: string; external_id: string }[] = await inbox(db).insert(items.map(asRow)).onConflict(['channel', 'external_id']).ignore().returning(['channel', 'external_id']);
  const fresh = new Set(stored.map((row) => `${row.channel}:${row.external_id}`));
  // The same message twice in one batch: only its first occurrence counts as new.
  return items.map((item) => fresh.delete(`${item.channel}:${item.external_id}`));
}

/**
 * Takes up to `limit` messages due for handling, each for `leaseMs` (a processor that dies lets
 * them go when the lease ends). A message waits while an earlier one of its conversation is
 * still pending, so a chat's second message never overtakes the first that opens its incident.
 */
export async function claimInboxItems(db: Knex, now: Date, leaseMs: number, limit: number): Promise<InboxItem[]> {
  const { rows } = await db.raw(
    `update incidents.inbox set locked_until = ?::timestamptz + make_interval(secs => ? / 1000.0), attempts = attempts + 1
     where id in (
       select i.id from incidents.inbox i
       where i.state = 'pending' and i.next_attempt_at <= ? and (i.locked_until is null or i.locked_until < ?)
         and not exists (select 1 from incidents.inbox e where e.state = 'pending' and e.conversation = i.conversation and e.id < i.id)
       order by i.id limit ? for update skip locked)
     returning *`,
    [now, leaseMs, now, now, limit],
  );
  return (rows as InboxItem[]).sort((a, b) => Number(a.id) - Number(b.id));
}

/** Marks messages handled in one statement, inside the transaction of their effects: both happen or neither. */
export async function completeInboxItems(trx: Knex.Transaction, outcomes: { id: string; state: 'done' | 'ignored'; incident_id: string | null }[], at: Date): Promise<void> {
  if (!outcomes.length) return;
  await trx.raw(
    `update incidents.inbox as i set state = o.state, incident_id = o.incident_id::uuid, processed_at = ?, locked_until = null, last_error = null
     from unnest(?::bigint[], ?::text[], ?::text[]) as o(id, state, incident_id) where i.id = o.id`,
    [at, outcomes.map((outcome) => outcome.id), outcomes.map((outcome) => outcome.state), outcomes.map((outcome) => outcome.incident_id)] as never,
  );
}

/** A failed attempt: try again at `retryAt`, or, with none, leave it failed for an admin. */
export async function failInboxItem(db: Db, id: string, error: string, retryAt: Date | null): Promise<void> {
  await inbox(db)
    .where({ id })
    .update({ state: retryAt ? 'pending' : 'failed', next_attempt_at: retryAt ?? db.raw('next_attempt_at'), locked_until: null, last_error: error.slice(0, 2000) });
}

/** Messages in one state, newest first, for admins; `before` is the last id of the previous page. */
export async function listInboxItems(db: Db, options: { state?: InboxState; channel?: InboxChannel; before?: string; limit: number }): Promise<InboxItem[]> {
  const query = inbox(db).select('*').orderBy('id', 'desc').limit(options.limit);
  if (options.state) query.where({ state: options.state });
  if (options.channel) query.where({ channel: options.channel });
  if (options.before) query.where('id', '<', options.before);
  return query as Promise<InboxItem[]>;
}

/** An admin's retry: a failed message is due again now, with its attempts counted afresh. */
export async function retryInboxItem(db: Db, id: string, now: Date): Promise<InboxItem | undefined> {
  const [row] = await inbox(db).where({ id, state: 'failed' }).update({ state: 'pending', attempts: 0, next_attempt_at: now, locked_until: null }).returning('*');
  return row as InboxItem | undefined;
}

export async function findInboxItem(db: Db, channel: InboxChannel, externalId: string): Promise<InboxItem | undefined> {
  return inbox(db).where({ channel, external_id: externalId }).first() as Promise<InboxItem | undefined>;
}

/**
 * Takes an idempotency key inside the transaction that handles its message: false when the key
 * was taken before (a repeat; nothing written). A concurrent repeat waits here on the unique
 * key until the first transaction ends, then sees its row.
 */
export async function takeIdempotencyKey(trx: Knex.Transaction, item: NewInboxItem & { request_hash: string }): Promise<boolean> {
  const rows = await inbox(trx).insert({ ...asRow(item), state: 'done', attempts: 1, processed_at: item.received_at }).onConflict(['channel', 'external_id']).ignore().returning('id');
  return rows.length === 1;
}

/** Keeps the answer given to a message, for its repeats. */
export async function saveInboxResult(trx: Knex.Transaction, channel: InboxChannel, externalId: string, result: { incident_id: string; status: number; body: unknown }): Promise<void> {
  await inbox(trx).where({ channel, external_id: externalId }).update({ incident_id: result.incident_id, result_status: result.status, result_body: JSON.stringify(result.body) });
}

/** Pending messages and the age of the oldest, for the queue gauges. */
export const inboxBacklog = (db: Db, now: Date) => queueBacklog(inbox(db), 'received_at', now);

export async function inboxItemState(db: Db, id: string): Promise<InboxState | undefined> {
  const row = (await inbox(db).where({ id }).first('state')) as { state: InboxState } | undefined;
  return row?.state;
}
