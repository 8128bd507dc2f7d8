import { Counter, Gauge, type Registry } from 'prom-client';
import type { Knex } from 'knex';
import { notificationBacklog } from '../data/notification.repository.js';

/** `outcome` of notifications_sent_total: sent, retry (failed, due again later), dead (gave up). */
export function createNotificationMetrics(registry: Registry, readDb: () => Knex) {
  const sent = new Counter({ name: 'notifications_sent_total', help: 'Messages to reporters, by channel and outcome', labelNames: ['channel', 'outcome'] as const, registers: [registry] });
  new Gauge({
    name: 'notifications_pending',
    help: 'Messages to reporters waiting to be sent (the queue depth)',
    registers: [registry],
    async collect() {
      this.set((await notificationBacklog(readDb(), new Date())).pending);
    },
  });
  new Gauge({
    name: 'notifications_oldest_pending_age_seconds',
    help: 'Age of the oldest message to a reporter not sent yet (0 when none)',
    registers: [registry],
    async collect() {
      this.set((await notificationBacklog(readDb(), new Date())).oldestAgeSeconds);
    },
  });
  return { sent };
}

export type NotificationMetrics = ReturnType<typeof createNotificationMetrics>;
