import { incidentsPastDue, resolvedBefore, type Actor } from '../data/incident.repository.js';
import { setBreachFlags } from '../data/incident.repository.js';
import type { IncidentsDeps } from './deps.js';
import { newBreaches } from './sla-breaches.js';
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
      let flagged = 0;
      for (const incident of due) {
        const flags = newBreaches(uow, deps, incident);
        if (!Object.keys(flags).length) continue;
        await setBreachFlags(uow.trx, incident.id, flags);
        flagged += 1;
      }
      return { selected: due.length, flagged };
    });
    marked += batch.flagged;
    // A full batch may mean more to do; a batch that flagged nothing never repeats itself.
    if (batch.selected < BATCH || batch.flagged === 0) return marked;
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
