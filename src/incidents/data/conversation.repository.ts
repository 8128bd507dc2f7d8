import type { Knex } from 'knex';
import { selectIncidents, type Db, type IncidentRow } from './incident.repository.js';

/** What a chat or a phone number told us beyond its incidents. */
export interface ConversationRow {
  conversation: string;
  phone: string | null;
  client_id: string | null;
  client_checked_at: Date | null;
  new_requested_at: Date | null;
  updated_at: Date;
}

const conversations = (db: Db) => db.withSchema('incidents').table('intake_conversations');

/** Several conversations' rows at once, by key: a batch of messages from different chats. */
export async function findConversations(db: Db, keys: string[]): Promise<Map<string, ConversationRow>> {
  const rows = keys.length ? ((await conversations(db).whereIn('conversation', keys)) as ConversationRow[]) : [];
  return new Map(rows.map((row) => [row.conversation, row]));
}

/** Creates or changes a conversation's row; only the columns given change. */
export async function saveConversation(trx: Knex.Transaction, conversation: string, changes: Partial<Omit<ConversationRow, 'conversation' | 'updated_at'>>, now: Date): Promise<void> {
  await conversations(trx).insert({ conversation, ...changes, updated_at: now }).onConflict('conversation').merge([...Object.keys(changes), 'updated_at']);
}

/**
 * The newest incidents reported from each of several chats or phone numbers, newest first, in
 * one statement (a batch of messages from different chats), keyed as conversationOf keys them:
 * `channel:contact`. Each is its own index scan.
 */
export async function recentIncidentsOf(db: Db, senders: { channel: 'telegram' | 'sms'; address: string }[], limit: number): Promise<Map<string, IncidentRow[]>> {
  const recent = new Map<string, IncidentRow[]>(senders.map((sender) => [`${sender.channel}:${sender.address}`, []]));
  if (!senders.length) return recent;
  // The literal channel list lets Postgres use the partial index incidents_conversation_idx,
  // whose predicate it cannot prove from `i.channel = c.channel` alone (it would scan the table).
  const newest = selectIncidents(db).whereRaw(`i.channel in ('telegram', 'sms') and i.channel = c.channel and coalesce(i.reporter->>'telegram_chat_id', i.reporter->>'phone') = c.contact`).orderBy('i.created_at', 'desc').limit(limit).toSQL();
  const { rows } = await db.raw(
    `select c.channel || ':' || c.contact as conversation_key, r.*
     from unnest(?::text[], ?::text[]) with ordinality as c(channel, contact, position)
     cross join lateral (${newest.sql}) as r
     order by c.position, r.created_at desc`,
    [senders.map((sender) => sender.channel), senders.map((sender) => sender.address), ...newest.bindings],
  );
  for (const { conversation_key: key, ...incident } of rows as (IncidentRow & { conversation_key: string })[]) recent.get(key)?.push(incident);
  return recent;
}
