import type { IncidentRow } from '../data/incident.repository.js';
import type { IncidentsDeps } from './deps.js';
import { incidentKey } from './incident-ref.js';
import { breaches } from './sla.js';
import type { UnitOfWork } from './unit-of-work.js';

/**
 * The breach flags that become true for `incident` at `uow.now`, with their history entry,
 * `incident.sla_breached` event and metric. Callers store the returned flags.
 */
export function newBreaches(uow: UnitOfWork, deps: IncidentsDeps, incident: IncidentRow): Partial<Pick<IncidentRow, 'first_response_breached' | 'resolution_breached'>> {
  const missed = breaches(incident, uow.now);
  const kinds = [
    ...(missed.firstResponse && !incident.first_response_breached ? (['first_response'] as const) : []),
    ...(missed.resolution && !incident.resolution_breached ? (['resolution'] as const) : []),
  ];
  for (const kind of kinds) {
    uow.record({ incident_id: incident.id, kind: 'sla', field: `${kind}_breached`, before: false, after: true });
    uow.emit({
      type: 'incident.sla_breached',
      aggregateType: 'incident',
      aggregateId: incident.id,
      data: { incident_key: incidentKey(incident.number), kind, priority: incident.priority, due_at: (kind === 'resolution' ? incident.resolution_due_at : incident.first_response_due_at).toISOString() },
    });
    uow.afterCommit.push(() => deps.metrics.slaBreaches.inc({ kind, priority: incident.priority }));
  }
  return Object.fromEntries(kinds.map((kind) => [`${kind}_breached`, true]));
}
