import type { Knex } from 'knex';

export type Priority = 'P1' | 'P2' | 'P3' | 'P4';
export type Channel = 'web' | 'telegram' | 'sms' | 'esb' | 'api';
export type Status = 'new' | 'in_progress' | 'waiting_customer' | 'resolved' | 'closed' | 'cancelled';

export interface Reporter {
  name?: string;
  email?: string;
  phone?: string;
  telegram_chat_id?: string;
}

export interface IncidentRow {
  id: string;
  number: number;
  title: string;
  description: string;
  channel: Channel;
  category: string | null;
  priority: Priority;
  status: Status;
  reporter: Reporter;
  created_by: { id: string; username: string; name?: string };
  version: number;
  created_at: Date;
  updated_at: Date;
}

export type NewIncidentRow = Pick<IncidentRow, 'id' | 'title' | 'description' | 'channel' | 'category' | 'priority' | 'reporter' | 'created_by'>;

const table = (db: Knex | Knex.Transaction) => db.withSchema('incidents').table<IncidentRow>('incidents');

/** Inserts an incident and returns it as stored (with its number and timestamps). */
export async function insertIncident(trx: Knex.Transaction, row: NewIncidentRow): Promise<IncidentRow> {
  const [stored] = await table(trx)
    .insert({ ...row, reporter: JSON.stringify(row.reporter), created_by: JSON.stringify(row.created_by) } as never)
    .returning('*');
  return stored as IncidentRow;
}

/** Finds by UUID or by human number (INC-000123 → 123). */
export async function findIncident(db: Knex, ref: { id: string } | { number: number }): Promise<IncidentRow | undefined> {
  return table(db).where(ref).first() as Promise<IncidentRow | undefined>;
}
