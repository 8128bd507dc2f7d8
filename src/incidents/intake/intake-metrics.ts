import { Counter, type Registry } from 'prom-client';
import { queueGauges } from '../../platform/metrics/index.js';
import type { Knex } from 'knex';
import { inboxBacklog } from '../data/inbox.repository.js';

/**
 * Intake's metrics. `outcome` of intake_messages_total: accepted (stored in the inbox),
 * duplicate (a channel's retry), rejected (bad secret, signature or body), filed (an incident
 * was opened), threaded (a comment on an open incident), reopened, command, contact, ignored, retried (failed, tried again later), failed (for good),
 * and for the service bus dead_lettered.
 */
export function createIntakeMetrics(registry: Registry, readDb: () => Knex) {
  const messages = new Counter({ name: 'intake_messages_total', help: 'Messages from reporters and other systems, by channel and outcome', labelNames: ['channel', 'outcome'] as const, registers: [registry] });
  const clientLookups = new Counter({ name: 'intake_client_lookups_total', help: 'Lookups of a reporter\'s client by phone through the edge, by outcome (found, none, failed)', labelNames: ['outcome'] as const, registers: [registry] });
  queueGauges(
    registry,
    { pending: 'intake_inbox_pending', pendingHelp: 'Messages stored in the inbox and not yet handled', age: 'intake_inbox_oldest_pending_age_seconds', ageHelp: 'Age of the oldest message in the inbox not yet handled (0 when none)' },
    () => inboxBacklog(readDb(), new Date()),
  );
  return { messages, clientLookups };
}

export type IntakeMetrics = ReturnType<typeof createIntakeMetrics>;
