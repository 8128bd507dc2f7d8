import { Counter, type Registry } from 'prom-client';
import { queueGauges } from '../../platform/metrics/index.js';
import type { Knex } from 'knex';
import { notificationBacklog } from '../data/notification.repository.js';

/** `outcome` of notifications_sent_total: sent, retry (failed, due again later), dead (gave up). */
export function createNotificationMetrics(registry: Registry, readDb: () => Knex) {
  const sent = new Counter({ name: 'notifications_sent_total', help: 'Messages to reporters, by channel and outcome', labelNames: ['channel', 'outcome'] as const, registers: [registry] });
  queueGauges(
    registry,
    { pending: 'notifications_pending', pendingHelp: 'Messages to reporters waiting to be sent (the queue depth)', age: 'notifications_oldest_pending_age_seconds', ageHelp: 'Age of the oldest message to a reporter not sent yet (0 when none)' },
    () => notificationBacklog(readDb(), new Date()),
  );
  return { sent };
}

export type NotificationMetrics = ReturnType<typeof createNotificationMetrics>;
