import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';

/** A domain event as stored in a service's outbox and later shipped (ClickHouse, notifications). */
export interface DomainEvent<T = unknown> {
  type: string;
  aggregateType: string;
  aggregateId: string;
  actor?: { id: string; username: string };
  data: T;
}

/**
 * Appends an event to `<schema>.outbox` inside the caller's transaction, so the event exists
 * exactly when the change it describes does.
 */
export async function appendEvent(trx: Knex.Transaction, schema: string, event: DomainEvent): Promise<string> {
  const eventId = uuidv7();
  const occurredAt = new Date().toISOString();
  await trx.withSchema(schema).table('outbox').insert({
    event_id: eventId,
    type: event.type,
    aggregate_type: event.aggregateType,
    aggregate_id: event.aggregateId,
    occurred_at: occurredAt,
    payload: JSON.stringify({
      event_id: eventId,
      type: event.type,
      occurred_at: occurredAt,
      aggregate: { type: event.aggregateType, id: event.aggregateId },
      actor: event.actor ?? null,
      data: event.data,
    }),
  });
  return eventId;
}
