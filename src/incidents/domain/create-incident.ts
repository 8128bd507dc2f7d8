import { v7 as uuidv7 } from 'uuid';
import { insertIncident, type Actor, type Channel, type IncidentRow, type Priority, type Reporter } from '../data/incident.repository.js';
import type { IncidentsDeps } from './deps.js';
import { incidentView } from './incident-view.js';
import { applyProblemRules } from './problem-links.js';
import { dueTimes } from './sla.js';
import { inTransaction } from './unit-of-work.js';

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

/**
 * Files an incident with its SLA due times, history, `incident.created` event, and the
 * automatic problem rules, all in one transaction.
 */
export async function createIncident(deps: IncidentsDeps, input: CreateIncidentInput, actor: Actor): Promise<IncidentRow> {
  const incident = await inTransaction(deps, actor, async (uow) => {
    const created = await insertIncident(uow.trx, {
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
      created_at: uow.now,
      ...dueTimes(uow.now, input.priority, deps.settings.slaTargets),
    });
    uow.record({ incident_id: created.id, kind: 'created', after: { title: created.title, priority: created.priority, channel: created.channel } });
    uow.emit({ type: 'incident.created', aggregateType: 'incident', aggregateId: created.id, data: incidentView(created, uow.now) });
    uow.afterCommit.push(() => deps.metrics.created.inc({ channel: created.channel, priority: created.priority }));
    return applyProblemRules(uow, deps, created);
  });
  return incident;
}
