import { v7 as uuidv7 } from 'uuid';
import { insertIncident, type Actor, type Channel, type IncidentRow, type NewIncidentRow, type Priority, type Reporter } from '../data/incident.repository.js';
import type { IncidentsDeps } from './deps.js';
import { incidentView } from './incident-view.js';
import { applyProblemRules } from './problem-links.js';
import { dueTimes } from './sla.js';
import { inTransaction, type UnitOfWork } from './unit-of-work.js';

export interface CreateIncidentInput {
  title: string;
  description: string;
  channel: Channel;
  category?: string;
  priority: Priority;
  reporter?: Reporter;
  client_id?: string;
  order_id?: string;
  assignee?: { id: string; name?: string } | null;
  group?: string;
  tags?: string[];
}

/** Whether a problem rule could apply: a P1, or a category with a client or an order (a possible cluster). */
const mayMakeProblem = (input: CreateIncidentInput) => input.priority === 'P1' || Boolean(input.category && (input.client_id || input.order_id));

function newRow(input: CreateIncidentInput, actor: Actor, now: Date, deps: IncidentsDeps): NewIncidentRow {
  return {
    id: uuidv7(),
    title: input.title,
    description: input.description,
    channel: input.channel,
    category: input.category ?? null,
    priority: input.priority,
    reporter: input.reporter ?? {},
    client_id: input.client_id ?? null,
    order_id: input.order_id ?? null,
    assignee_id: input.assignee?.id ?? null,
    assignee_name: input.assignee?.name ?? null,
    group_name: input.group ?? null,
    tags: input.tags ?? [],
    problem_id: null,
    created_by: actor,
    created_at: now,
    ...dueTimes(now, input.priority, deps.settings.slaTargets),
  };
}

/** The row as it will be stored, before Postgres gives it a number (the event's key is filled in there). */
const asStored = (row: NewIncidentRow): IncidentRow => ({
  ...row,
  number: 0,
  problem_number: null,
  status: 'new',
  resolution: null,
  cancel_reason: null,
  first_responded_at: null,
  resolved_at: null,
  closed_at: null,
  sla_paused_at: null,
  sla_paused_ms: 0,
  first_response_breached: false,
  resolution_breached: false,
  version: 1,
  updated_at: row.created_at,
});

/**
 * Files an incident with its SLA due times, history entry and `incident.created` event, and
 * applies the automatic problem rules, atomically. When no rule can apply, all of it is one
 * statement, shared with the creations that arrive while the previous one is written (group
 * commit); otherwise a transaction that takes the cluster locks.
 */
export async function createIncident(deps: IncidentsDeps, input: CreateIncidentInput, actor: Actor): Promise<IncidentRow> {
  const created = 'created' as const;
  if (!mayMakeProblem(input)) {
    const now = deps.clock();
    const row = newRow(input, actor, now, deps);
    const incident = await deps.filing.write({
      row,
      history: { incident_id: row.id, at: now, actor, kind: created, after: { title: row.title, priority: row.priority, channel: row.channel } },
      event: { type: 'incident.created', aggregateType: 'incident', aggregateId: row.id, actor: { id: actor.id, username: actor.username }, data: incidentView(asStored(row), now) },
    });
    deps.metrics.created.inc({ channel: incident.channel, priority: incident.priority });
    return incident;
  }
  return inTransaction(deps, actor, (uow) => createIncidentIn(uow, deps, input, actor));
}

/** Files an incident inside a unit of work that does more (intake: the message it came from). */
export async function createIncidentIn(uow: UnitOfWork, deps: IncidentsDeps, input: CreateIncidentInput, actor: Actor): Promise<IncidentRow> {
  const incident = await insertIncident(uow.trx, newRow(input, actor, uow.now, deps));
  uow.record({ incident_id: incident.id, kind: 'created', after: { title: incident.title, priority: incident.priority, channel: incident.channel } });
  uow.emit({ type: 'incident.created', aggregateType: 'incident', aggregateId: incident.id, data: incidentView(incident, uow.now) });
  uow.afterCommit.push(() => deps.metrics.created.inc({ channel: incident.channel, priority: incident.priority }));
  return applyProblemRules(uow, deps, incident);
}
