import type { Knex } from 'knex';
import { groupCommit } from '../../platform/db/index.js';
import { storeInboxItems, type NewInboxItem } from '../data/inbox.repository.js';
import type { IntakeMetrics } from './intake-metrics.js';

/**
 * The payload as PostgreSQL's jsonb can hold it: NUL characters and lone surrogates, which jsonb
 * refuses, become U+FFFD. Without this, one such character would make the insert fail and the
 * message be answered with an error and lost, however valid the rest of it.
 */
export function storable(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed().replaceAll('\u0000', '\uFFFD');
  if (Array.isArray(value)) return value.map(storable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [storable(key) as string, storable(item)]));
  return value;
}

/**
 * The front door of the webhooks: a message is stored before it is answered, several to a
 * statement under load (group commit), and the processor is woken to handle it.
 */
export function inboxIntake(db: Knex, metrics: IntakeMetrics, wake: () => void) {
  const store = groupCommit((items: NewInboxItem[]) => storeInboxItems(db, items), { maxBatch: 200 });
  return {
    /** True when the message is new; false for a channel's retry of one stored before. */
    async receive(item: NewInboxItem): Promise<boolean> {
      const fresh = await store.write({ ...item, payload: storable(item.payload) });
      metrics.messages.inc({ channel: item.channel, outcome: fresh ? 'accepted' : 'duplicate' });
      if (fresh) wake();
      return fresh;
    },
  };
}

export type InboxIntake = ReturnType<typeof inboxIntake>;
