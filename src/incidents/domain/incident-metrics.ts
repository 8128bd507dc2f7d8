import { Counter, Gauge, type Registry } from 'prom-client';
import type { Knex } from 'knex';
import { countOpenByPriority } from '../data/incident.repository.js';
import { PRIORITIES } from './sla.js';

/** The helpdesk's own metrics; counters move only after the transaction that earned them commits. */
export function createIncidentMetrics(registry: Registry, readDb: () => Knex) {
  const created = new Counter({ name: 'incidents_created_total', help: 'Incidents filed, by channel and priority', labelNames: ['channel', 'priority'] as const, registers: [registry] });
  const transitions = new Counter({ name: 'incident_transitions_total', help: 'Status changes of incidents', labelNames: ['from', 'to'] as const, registers: [registry] });
  const problemsAutoCreated = new Counter({ name: 'problems_auto_created_total', help: 'Problems created by a rule (p1, cluster, escalation)', labelNames: ['rule'] as const, registers: [registry] });
  const slaBreaches = new Counter({ name: 'sla_breaches_total', help: 'SLA targets missed, by kind (first_response, resolution) and priority', labelNames: ['kind', 'priority'] as const, registers: [registry] });
  new Gauge({
    name: 'incidents_open',
    help: 'Open incidents (new, in progress, waiting for the customer) by priority',
    labelNames: ['priority'] as const,
    registers: [registry],
    // Counted at scrape time from the database, so every instance reports the same truth.
    async collect() {
      // Every priority, so a priority with no open incidents reads 0 rather than vanishing.
      const open = new Map((await countOpenByPriority(readDb())).map(({ priority, n }) => [priority, Number(n)]));
      for (const priority of PRIORITIES) this.set({ priority }, open.get(priority) ?? 0);
    },
  });
  return { created, transitions, problemsAutoCreated, slaBreaches };
}

export type IncidentMetrics = ReturnType<typeof createIncidentMetrics>;
