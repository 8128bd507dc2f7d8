import { incidentsPastDue, resolvedBefore, type Actor } from '../data/incident.repository.js';
import { setBreachFlags } from '../data/incident.repository.js';
import type { IncidentsDeps } from './deps.js';
import { incidentKey } from './incident-ref.js';
import { breaches } from './sla.js';
import { applyTransition } from './transition-incident.js';
import { inTransaction } from './unit-of-work.js';

const SYSTEM: Actor = { id: 'system', username: 'system' };
const BATCH = 500;

/**
 * Stores SLA breach flags that became true, with a history entry, `incident.sla_breached`
 * and sla_breaches_total. Flags are not a change an agent makes, so the version stays.
 * Runs in batches; safe to run on several instances at once (rows are locked, others skipped).
 */
export async function markSlaBreaches(deps: IncidentsDeps): Promise<number> {
  let marked = 0;
  for (;;) {
    const batch = await inTransaction(deps, SYSTEM, async (uow) => {
      const due = await incidentsPastDue(uow.trx, uow.now, BATCH);
      for (const incident of due) {
        const missed = breaches(incident, uow.now);
        const kinds = [
          ...(missed.firstResponse && !incident.first_response_breached ? (['first_response'] as const) : []),
          ...(missed.resolution && !incident.resolution_breached ? (['resolution'] as const) : []),
        ];
        await setBreachFlags(uow.trx, incident.id, { first_response_breached: missed.firstResponse, resolution_breached: missed.resolution });
        for (const kind of kinds) {
          uow.record({ incident_id: incident.id, kind: 'sla', field: `${kind}_breached`, before: false, after: true });
          uow.emit({ type: 'incident.sla_breached', aggregateType: 'incident', aggregateId: incident.id, data: { incident_key: incidentKey(incident.number), kind, priority: incident.priority, due_at: (kind === 'resolution' ? incident.resolution_due_at : incident.first_response_due_at).toISOString() } });
          uow.afterCommit.push(() => deps.metrics.slaBreaches.inc({ kind, priority: incident.priority }));
        }
      }
      return due.length;
    });
    marked += batch;
    if (batch < BATCH) return marked;
  }
}

/** Closes incidents resolved longer ago than AUTO_CLOSE_AFTER. */
export async function closeResolvedIncidents(deps: IncidentsDeps): Promise<number> {
  let closed = 0;
  for (;;) {
    const batch = await inTransaction(deps, SYSTEM, async (uow) => {
      const cutoff = new Date(uow.now.getTime() - deps.settings.autoCloseAfterMs);
      const resolved = await resolvedBefore(uow.trx, cutoff, BATCH);
      for (const incident of resolved) await applyTransition(uow, deps, incident, { to: 'closed', reason: 'closed automatically after the resolution period' });
      return resolved.length;
    });
    closed += batch;
    if (batch < BATCH) return closed;
  }
}
