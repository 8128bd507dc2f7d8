import { BadRequest, Conflict } from '../../platform/http/index.js';
import { updateIncident, type IncidentChanges, type IncidentRow } from '../data/incident.repository.js';
import type { IncidentsDeps } from './deps.js';
import { incidentView } from './incident-view.js';
import { checkVersion, loadIncident } from './load.js';
import { requestReporterNotification, type ReporterTemplate } from './notifications.js';
import { paused, resumed } from './sla.js';
import { newBreaches } from './sla-breaches.js';
import { allowedTransitions, canTransition, type Status } from './status-machine.js';
import { inTransaction, type UnitOfWork } from './unit-of-work.js';

export interface TransitionRequest {
  to: Status;
  reason?: string;
  resolution?: string;
}

const TELL_REPORTER: Partial<Record<Status, ReporterTemplate>> = {
  in_progress: 'incident.in_progress',
  waiting_customer: 'incident.waiting_customer',
  resolved: 'incident.resolved',
  closed: 'incident.closed',
};

/** The column changes a move to `to` implies: SLA clock, first response, resolution, closing. */
function effectsOf(incident: IncidentRow, request: TransitionRequest, now: Date): IncidentChanges {
  const changes: IncidentChanges = { status: request.to };
  // Taking up the incident (or resolving it) is the first response; cancelling spam is not.
  if (incident.status === 'new' && !incident.first_responded_at && request.to !== 'cancelled') changes.first_responded_at = now;
  // The SLA clock stands still while waiting for the customer and while resolved; a reopen restarts it.
  if (incident.sla_paused_at && (request.to === 'in_progress' || request.to === 'cancelled')) Object.assign(changes, resumed(incident, now));
  if (request.to === 'waiting_customer') Object.assign(changes, paused(now));
  if (request.to === 'resolved') Object.assign(changes, resumed(incident, now), { resolved_at: now, resolution: request.resolution ?? null }, paused(now));
  if (incident.status === 'resolved' && request.to === 'in_progress') Object.assign(changes, { resolved_at: null });
  if (request.to === 'closed') changes.closed_at = now;
  if (request.to === 'cancelled') changes.cancel_reason = request.reason ?? null;
  return changes;
}

/**
 * Moves an incident to another status inside a unit of work, with its history entry,
 * event, reporter notification and metric. `force` is for the system's own moves (a problem
 * resolving its incidents), which may resolve from any open state. `quiet` tells the reporter
 * nothing, for a move that comes with a message of its own (an agent's first reply).
 */
export async function applyTransition(uow: UnitOfWork, deps: IncidentsDeps, incident: IncidentRow, request: TransitionRequest, options: { force?: boolean; quiet?: boolean } = {}): Promise<IncidentRow> {
  if (!options.force && !canTransition(incident.status, request.to)) {
    const allowed = allowedTransitions(incident.status);
    throw Conflict(`An incident in status ${incident.status} cannot move to ${request.to}; allowed: ${allowed.join(', ') || 'none (final status)'}`, { from: incident.status, to: request.to, allowed });
  }
  if (request.to === 'resolved' && !request.resolution?.trim()) {
    throw BadRequest('Resolving needs a resolution', [{ location: 'body', pointer: '#/resolution', detail: 'Required when resolving' }]);
  }
  if (request.to === 'cancelled' && !request.reason?.trim()) {
    throw BadRequest('Cancelling needs a reason', [{ location: 'body', pointer: '#/reason', detail: 'Required when cancelling' }]);
  }
  const changes = effectsOf(incident, request, uow.now);
  // Targets already missed are flagged before the move (a cancel must not erase them), and one
  // missed by the move itself (a late first response or resolution) now, not by a job later.
  const missedBefore = newBreaches(uow, deps, incident);
  Object.assign(changes, missedBefore, newBreaches(uow, deps, { ...incident, ...missedBefore, ...changes } as IncidentRow));
  const updated = await updateIncident(uow.trx, incident.id, changes, uow.now);
  uow.record({ incident_id: incident.id, kind: 'status', field: 'status', before: incident.status, after: request.to });
  // What the move wrote besides the status: the resolution, or the reason for cancelling.
  for (const field of ['resolution', 'cancel_reason'] as const) {
    if (updated[field] !== incident[field]) uow.record({ incident_id: incident.id, kind: 'field', field, before: incident[field], after: updated[field] });
  }
  uow.emit({
    type: 'incident.status_changed',
    aggregateType: 'incident',
    aggregateId: incident.id,
    data: { from: incident.status, to: request.to, reason: request.reason ?? null, incident: incidentView(updated, uow.now) },
  });
  const template = TELL_REPORTER[request.to];
  if (template && !options.quiet) requestReporterNotification(uow, updated, template, request.to === 'resolved' ? { resolution: updated.resolution } : {});
  uow.afterCommit.push(() => deps.metrics.transitions.inc({ from: incident.status, to: request.to }));
  return updated;
}

/** POST /incidents/:id/transitions */
export function transitionIncident(deps: IncidentsDeps, ref: string, request: TransitionRequest, actor: IncidentRow['created_by'], expectedVersion?: number): Promise<IncidentRow> {
  return inTransaction(deps, actor, async (uow) => {
    const incident = await loadIncident(uow.trx, ref, { forUpdate: true });
    checkVersion(incident, expectedVersion, 'incident');
    return applyTransition(uow, deps, incident, request);
  });
}
