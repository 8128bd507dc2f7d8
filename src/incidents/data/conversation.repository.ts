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

export async function findConversation(db: Db, conversation: string): Promise<ConversationRow | undefined> {
  return conversations(db).where({ conversation }).first() as Promise<ConversationRow | undefined>;
}

/** Creates or changes a conversation's row; only the columns given change. */
export async function saveConversation(trx: Knex.Transaction, conversation: string, changes: Partial<Omit<ConversationRow, 'conversation' | 'updated_at'>>, now: Date): Promise<void> {
  await conversations(trx).insert({ conversation, ...changes, updated_at: now }).onConflict('conversation').merge([...Object.keys(changes), 'updated_at']);
}

/** The newest incidents a chat or a phone number reported on a channel (index incidents_conversation_idx). */
export async function recentIncidentsOf(db: Db, channel: 'telegram' | 'sms', contact: string, limit: number): Promise<IncidentRow[]> {
  return selectIncidents(db)
    .where('i.channel', channel)
    .whereRaw("coalesce(i.reporter->>'telegram_chat_id', i.reporter->>'phone') = ?", [contact])
    .orderBy('i.created_at', 'desc')
    .limit(limit) as Promise<IncidentRow[]>;
}
