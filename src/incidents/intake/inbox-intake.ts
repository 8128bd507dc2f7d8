import type { Knex } from 'knex';
import { groupCommit } from '../../platform/db/index.js';
import { storeInboxItems, type NewInboxItem } from '../data/inbox.repository.js';
import type { IntakeMetrics } from './intake-metrics.js';

/**
 * The front door of the webhooks: a message is stored before it is answered, several to a
 * statement under load (group commit), and the processor is woken to handle it.
 */
export function inboxIntake(db: Knex, metrics: IntakeMetrics, wake: () => void) {
  const store = groupCommit((items: NewInboxItem[]) => storeInboxItems(db, items), { maxBatch: 200 });
  return {
    /** True when the message is new; false for a channel's retry of one stored before. */
    async receive(item: NewInboxItem): Promise<boolean> {
      const fresh = await store.write(item);
      metrics.messages.inc({ channel: item.channel, outcome: fresh ? 'accepted' : 'duplicate' });
      if (fresh) wake();
      return fresh;
    },
  };
}

export type InboxIntake = ReturnType<typeof inboxIntake>;
