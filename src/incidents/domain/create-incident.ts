import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import type { AuthUser } from '../../platform/auth/index.js';
import { appendEvent } from '../../platform/events/index.js';
import { insertIncident, type Channel, type IncidentRow, type Priority, type Reporter } from '../data/incident.repository.js';

export interface CreateIncidentInput {
  title: string;
  description: string;
  channel: Channel;
  category?: string;
  priority: Priority;
  reporter?: Reporter;
}

export const actorOf = (user: AuthUser) => ({ id: user.id, username: user.username, ...(user.name ? { name: user.name } : {}) });

/** Files an incident and its `incident.created` event in one transaction: both or neither. */
export async function createIncident(db: Knex, input: CreateIncidentInput, user: AuthUser, present: (row: IncidentRow) => unknown): Promise<IncidentRow> {
  return db.transaction(async (trx) => {
    const incident = await insertIncident(trx, {
      id: uuidv7(),
      title: input.title,
      description: input.description,
      channel: input.channel,
      category: input.category ?? null,
      priority: input.priority,
      reporter: input.reporter ?? {},
      created_by: actorOf(user),
    });
    await appendEvent(trx, 'incidents', {
      type: 'incident.created',
      aggregateType: 'incident',
      aggregateId: incident.id,
      actor: { id: user.id, username: user.username },
      data: present(incident),
    });
    return incident;
  });
}
