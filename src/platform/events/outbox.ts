import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';

/** A domain event as stored in a service's outbox and later shipped (ClickHouse, notifications). */
export interface DomainEvent<T = unknown> {
  /** Given when something else must name the event (a notification it asks for); else made here. */
  id?: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  actor?: { id: string; username: string };
  data: T;
}

/** The outbox row of an event, as stored: payload is the JSON envelope. */
export function outboxRow(event: DomainEvent, occurredAt: string) {
  const eventId = event.id ?? uuidv7();
  return {
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
  };
}

/**
 * The insert of events into `<schema>.outbox`, not yet run: callers run it inside the
 * transaction of the change the events describe (alone, or combined with other writes).
 */
export function outboxInsert(trx: Knex.Transaction, schema: string, events: DomainEvent[], occurredAt = new Date()): Knex.QueryBuilder {
  const at = occurredAt.toISOString();
  return trx.withSchema(schema).table('outbox').insert(events.map((event) => outboxRow(event, at)));
}
