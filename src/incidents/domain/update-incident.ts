import { Conflict } from '../../platform/http/index.js';
import { updateIncident, type Actor, type IncidentChanges, type IncidentRow, type Priority, type Reporter } from '../data/incident.repository.js';
import type { IncidentsDeps } from './deps.js';
import { incidentView } from './incident-view.js';
import { checkVersion, loadIncident } from './load.js';
import { applyProblemRules } from './problem-links.js';
import { reprioritised } from './sla.js';
import { incidentKey } from './incident-ref.js';
import { isOpen } from './status-machine.js';
import { inTransaction } from './unit-of-work.js';

export interface IncidentPatch {
  title?: string;
  description?: string;
  category?: string | null;
  priority?: Priority;
  reporter?: Reporter;
  client_id?: string | null;
  order_id?: string | null;
  assignee?: { id: string; name?: string } | null;
  group?: string | null;
  tags?: string[];
}

const FIELD_COLUMNS = {
  title: 'title',
  description: 'description',
  category: 'category',
  priority: 'priority',
  reporter: 'reporter',
  client_id: 'client_id',
  order_id: 'order_id',
  group: 'group_name',
  tags: 'tags',
} as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * PATCH /incidents/:id with If-Match. Each changed field is a history entry; an assignment
 * is `incident.assigned`, other fields `incident.updated`; a new priority moves the SLA due
 * times and a new P1 gets its problem.
 */
export async function updateIncidentFields(deps: IncidentsDeps, ref: string, patch: IncidentPatch, actor: Actor, expectedVersion: number): Promise<IncidentRow> {
  return inTransaction(deps, actor, async (uow) => {
    const incident = await loadIncident(uow.trx, ref, { forUpdate: true });
    checkVersion(incident, expectedVersion, 'incident');
    if (incident.status === 'closed' || incident.status === 'cancelled') {
      throw Conflict(`Incident ${incidentKey(incident.number)} is ${incident.status}; it can no longer be changed`);
    }

    const changes: IncidentChanges = {};
    const changedFields: { field: string; before: unknown; after: unknown }[] = [];
    for (const [field, column] of Object.entries(FIELD_COLUMNS) as [keyof typeof FIELD_COLUMNS, (typeof FIELD_COLUMNS)[keyof typeof FIELD_COLUMNS]][]) {
      if (patch[field] === undefined || same(patch[field], incident[column])) continue;
      Object.assign(changes, { [column]: patch[field] });
      changedFields.push({ field, before: incident[column], after: patch[field] });
    }
    if (patch.priority && patch.priority !== incident.priority) Object.assign(changes, reprioritised(incident, patch.priority, deps.settings.slaTargets));
    const assigneeChanged = patch.assignee !== undefined && (patch.assignee?.id ?? null) !== incident.assignee_id;
    if (assigneeChanged) Object.assign(changes, { assignee_id: patch.assignee?.id ?? null, assignee_name: patch.assignee?.name ?? null });
    if (!changedFields.length && !assigneeChanged) return incident;

    let updated = await updateIncident(uow.trx, incident.id, changes, uow.now);
    for (const change of changedFields) uow.record({ incident_id: incident.id, kind: 'field', ...change });
    // A new priority moves the SLA due times: each move is an entry of its own.
    for (const field of ['first_response_due_at', 'resolution_due_at'] as const) {
      const after = changes[field];
      if (after && after.getTime() !== incident[field].getTime()) uow.record({ incident_id: incident.id, kind: 'sla', field, before: incident[field], after });
    }
    if (changedFields.length) {
      uow.emit({ type: 'incident.updated', aggregateType: 'incident', aggregateId: incident.id, data: { changes: changedFields, incident: incidentView(updated, uow.now) } });
    }
    if (assigneeChanged) {
      const before = incident.assignee_id ? { id: incident.assignee_id, name: incident.assignee_name } : null;
      uow.record({ incident_id: incident.id, kind: 'assignment', field: 'assignee', before, after: patch.assignee ?? null });
      uow.emit({ type: 'incident.assigned', aggregateType: 'incident', aggregateId: incident.id, data: { before, after: patch.assignee ?? null, incident: incidentView(updated, uow.now) } });
    }
    const mayMatchRule = changes.priority === 'P1' || changes.category !== undefined || changes.client_id !== undefined || changes.order_id !== undefined;
    if (isOpen(updated.status) && mayMatchRule) {
      updated = await applyProblemRules(uow, deps, updated);
    }
    return updated;
  });
}
