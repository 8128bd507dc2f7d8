import { Counter, Gauge, type Registry } from 'prom-client';
import type { Knex } from 'knex';
import { inboxBacklog } from '../data/inbox.repository.js';

/**
 * Intake's metrics. `outcome` of intake_messages_total: accepted (stored in the inbox),
 * duplicate (a channel's retry), rejected (bad secret, signature or body), filed (an incident
 * was opened), threaded (a comment on an open incident), reopened, command, ignored, failed.
 */
export function createIntakeMetrics(registry: Registry, readDb: () => Knex) {
  const messages = new Counter({ name: 'intake_messages_total', help: 'Messages from reporters and other systems, by channel and outcome', labelNames: ['channel', 'outcome'] as const, registers: [registry] });
  const clientLookups = new Counter({ name: 'intake_client_lookups_total', help: 'Lookups of a reporter\'s client by phone through the edge, by outcome (found, none, failed)', labelNames: ['outcome'] as const, registers: [registry] });
  const backlog = async () => inboxBacklog(readDb(), new Date());
  new Gauge({
    name: 'intake_inbox_pending',
    help: 'Messages stored in the inbox and not yet handled',
    registers: [registry],
    async collect() {
      this.set((await backlog()).pending);
    },
  });
  new Gauge({
    name: 'intake_inbox_oldest_pending_age_seconds',
    help: 'Age of the oldest message in the inbox not yet handled (0 when none)',
    registers: [registry],
    async collect() {
      this.set((await backlog()).oldestAgeSeconds);
    },
  });
  return { messages, clientLookups };
}

export type IntakeMetrics = ReturnType<typeof createIntakeMetrics>;
