import { v7 as uuidv7 } from 'uuid';
import { findIncident, openIncidentsLike, updateIncident, type IncidentRow } from '../data/incident.repository.js';
import { findOpenProblemByClusterKey, insertProblem, type NewProblemRow, type ProblemOrigin, type ProblemRow } from '../data/problem.repository.js';
import type { IncidentsDeps } from './deps.js';
import { incidentKey, problemKey } from './incident-ref.js';
import type { UnitOfWork } from './unit-of-work.js';

/** Creates a problem with its `problem.created` event; rules count in problems_auto_created_total. */
export async function createProblemRecord(uow: UnitOfWork, deps: IncidentsDeps, fields: Pick<NewProblemRow, 'title' | 'description'> & Partial<Pick<NewProblemRow, 'owner_id' | 'owner_name' | 'cluster_key'>>, origin: ProblemOrigin): Promise<ProblemRow> {
  const problem = await insertProblem(uow.trx, {
    id: uuidv7(),
    title: fields.title,
    description: fields.description,
    owner_id: fields.owner_id ?? null,
    owner_name: fields.owner_name ?? null,
    cluster_key: fields.cluster_key ?? null,
    origin,
    created_by: uow.actor ?? { id: 'system', username: 'system' },
    created_at: uow.now,
  });
  uow.emit({ type: 'problem.created', aggregateType: 'problem', aggregateId: problem.id, data: { key: problemKey(problem.number), title: problem.title, origin, cluster_key: problem.cluster_key } });
  if (origin !== 'manual') uow.afterCommit.push(() => deps.metrics.problemsAutoCreated.inc({ rule: origin }));
  return problem;
}

/** Links an incident to a problem (moving it if it was linked elsewhere), with history and event. */
export async function linkToProblem(uow: UnitOfWork, incident: IncidentRow, problem: Pick<ProblemRow, 'id' | 'number'>): Promise<IncidentRow> {
  if (incident.problem_id === problem.id) return incident;
  const updated = await updateIncident(uow.trx, incident.id, { problem_id: problem.id, problem_number: problem.number }, uow.now);
  const before = incident.problem_number ? problemKey(incident.problem_number) : null;
  uow.record({ incident_id: incident.id, kind: 'problem_link', field: 'problem', before, after: problemKey(problem.number) });
  uow.emit({
    type: 'incident.linked_to_problem',
    aggregateType: 'incident',
    aggregateId: incident.id,
    data: { incident_key: incidentKey(incident.number), problem_id: problem.id, problem_key: problemKey(problem.number), previous_problem_id: incident.problem_id },
  });
  return updated;
}

export async function unlinkFromProblem(uow: UnitOfWork, incident: IncidentRow): Promise<IncidentRow> {
  const updated = await updateIncident(uow.trx, incident.id, { problem_id: null, problem_number: null }, uow.now);
  uow.record({ incident_id: incident.id, kind: 'problem_link', field: 'problem', before: problemKey(incident.problem_number as number), after: null });
  uow.emit({ type: 'incident.unlinked_from_problem', aggregateType: 'incident', aggregateId: incident.id, data: { incident_key: incidentKey(incident.number), problem_id: incident.problem_id } });
  return updated;
}

/**
 * The cluster rule for one key (category and client, or category and order). A transaction
 * lock on the key serialises incidents of the same cluster, so concurrent arrivals see each
 * other and create one problem, not several.
 */
async function applyClusterRule(uow: UnitOfWork, deps: IncidentsDeps, incident: IncidentRow, column: 'client_id' | 'order_id'): Promise<IncidentRow> {
  const value = incident[column];
  if (!value || !incident.category) return incident;
  const clusterKey = `${incident.category}|${column === 'client_id' ? 'client' : 'order'}:${value}`;
  await uow.trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [clusterKey]);

  const existing = await findOpenProblemByClusterKey(uow.trx, clusterKey);
  if (existing) return incident.problem_id ? incident : linkToProblem(uow, incident, existing);

  const since = new Date(uow.now.getTime() - deps.settings.clusterWindowMs);
  const similar = await openIncidentsLike(uow.trx, { category: incident.category, column, value, since });
  if (similar.length < deps.settings.clusterSize) return incident;

  const subject = column === 'client_id' ? `client ${value}` : `order ${value}`;
  const problem = await createProblemRecord(
    uow,
    deps,
    { title: `${similar.length} ${incident.category} incidents for ${subject}`.slice(0, 200), description: `Created automatically: ${similar.length} open ${incident.category} incidents for ${subject} within ${Math.round(deps.settings.clusterWindowMs / 60_000)} minutes.`, cluster_key: clusterKey },
    'cluster',
  );
  let current = incident;
  for (const match of similar) {
    // Judged on the locked row: another transaction may have linked it since the query above.
    const row = match.id === incident.id ? current : await loadRow(uow, match.id);
    if (row.problem_id) continue; // already part of another problem (a P1's, say): left there
    const linked = await linkToProblem(uow, row, problem);
    if (match.id === incident.id) current = linked;
  }
  return current;
}

const loadRow = async (uow: UnitOfWork, id: string) => (await findIncident(uow.trx, { id }, { forUpdate: true })) as IncidentRow;

/** Automatic problems: a cluster of similar incidents first (order, then client), then any unlinked P1. */
export async function applyProblemRules(uow: UnitOfWork, deps: IncidentsDeps, incident: IncidentRow): Promise<IncidentRow> {
  let current = await applyClusterRule(uow, deps, incident, 'order_id');
  current = await applyClusterRule(uow, deps, current, 'client_id');
  if (current.priority === 'P1' && !current.problem_id) {
    const problem = await createProblemRecord(uow, deps, { title: `P1: ${current.title}`.slice(0, 200), description: `Created automatically for P1 incident ${incidentKey(current.number)}.` }, 'p1');
    current = await linkToProblem(uow, current, problem);
  }
  return current;
}
