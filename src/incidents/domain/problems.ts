import { BadRequest, Conflict, NotFound } from '../../platform/http/index.js';
import { openIncidentsOfProblem, type Actor, type IncidentRow } from '../data/incident.repository.js';
import { findOpenProblemByClusterKey, updateProblem, type ProblemChanges, type ProblemRow, type ProblemStatus } from '../data/problem.repository.js';
import { writeComment } from './add-comment.js';
import type { IncidentsDeps } from './deps.js';
import { incidentKey, problemKey } from './incident-ref.js';
import { checkVersion, loadIncident, loadProblem } from './load.js';
import { createProblemRecord, linkToProblem, unlinkFromProblem } from './problem-links.js';
import { acceptsIncidents, allowedProblemTransitions, canMoveProblem } from './problem-status.js';
import { applyTransition } from './transition-incident.js';
import { inTransaction, type UnitOfWork } from './unit-of-work.js';

export interface ProblemInput {
  title: string;
  description: string;
  owner?: { id: string; name?: string } | null;
}

export interface ProblemPatch {
  title?: string;
  description?: string;
  owner?: { id: string; name?: string } | null;
  root_cause?: string | null;
  status?: ProblemStatus;
  resolution?: string;
}

/** POST /problems: a problem opened by hand. */
export function createProblem(deps: IncidentsDeps, input: ProblemInput, actor: Actor): Promise<ProblemRow> {
  return inTransaction(deps, actor, (uow) =>
    createProblemRecord(uow, deps, { title: input.title, description: input.description, owner_id: input.owner?.id ?? null, owner_name: input.owner?.name ?? null }, 'manual'),
  );
}

/**
 * Resolving a problem resolves every open incident linked to it, in the same transaction:
 * status, the problem's resolution, one public comment naming the problem, history, events
 * and a notification to each reporter. Incidents already resolved, closed or cancelled are
 * left alone.
 */
async function resolveLinkedIncidents(uow: UnitOfWork, deps: IncidentsDeps, problem: ProblemRow): Promise<IncidentRow[]> {
  const resolved: IncidentRow[] = [];
  const author = { id: uow.actor?.id ?? 'system', username: uow.actor?.username ?? 'system', kind: 'system' as const };
  for (const incident of await openIncidentsOfProblem(uow.trx, problem.id)) {
    const body = `Resolved together with problem ${problemKey(problem.number)} (${problem.title}): ${problem.resolution}`;
    const { incident: commented } = await writeComment(uow, deps, incident, { body, visibility: 'public' }, author);
    resolved.push(await applyTransition(uow, deps, commented, { to: 'resolved', resolution: problem.resolution ?? '' }, { force: true }));
  }
  return resolved;
}

/** PATCH /problems/:id with If-Match: fields, and status moves (resolving cascades to incidents). */
export function updateProblemFields(deps: IncidentsDeps, ref: string, patch: ProblemPatch, actor: Actor, expectedVersion: number): Promise<ProblemRow> {
  return inTransaction(deps, actor, async (uow) => {
    const problem = await loadProblem(uow.trx, ref, { forUpdate: true });
    checkVersion(problem, expectedVersion, 'problem');
    // Only what differs from the stored problem is a change (a PATCH of equal values changes
    // nothing, as for incidents); `changed` names them as the API does.
    const changes: ProblemChanges = {};
    const changed: string[] = [];
    const differs = (field: string, update: ProblemChanges) => {
      if (Object.entries(update).every(([column, value]) => value === problem[column as keyof ProblemChanges])) return;
      Object.assign(changes, update);
      changed.push(field);
    };
    if (patch.title !== undefined) differs('title', { title: patch.title });
    if (patch.description !== undefined) differs('description', { description: patch.description });
    if (patch.root_cause !== undefined) differs('root_cause', { root_cause: patch.root_cause });
    if (patch.owner !== undefined) differs('owner', { owner_id: patch.owner?.id ?? null, owner_name: patch.owner?.name ?? null });
    if (patch.resolution !== undefined) differs('resolution', { resolution: patch.resolution });

    const moving = patch.status !== undefined && patch.status !== problem.status;
    if (moving) {
      const to = patch.status as ProblemStatus;
      if (!canMoveProblem(problem.status, to)) {
        const allowed = allowedProblemTransitions(problem.status);
        throw Conflict(`A problem in status ${problem.status} cannot move to ${to}; allowed: ${allowed.join(', ') || 'none (final status)'}`, { from: problem.status, to, allowed });
      }
      if (to === 'resolved' && !(patch.resolution ?? problem.resolution)?.trim()) {
        throw BadRequest('Resolving a problem needs a resolution', [{ location: 'body', pointer: '#/resolution', detail: 'Required when resolving' }]);
      }
      if (problem.status === 'resolved' && problem.cluster_key && (await findOpenProblemByClusterKey(uow.trx, problem.cluster_key))) {
        throw Conflict(`Another open problem now covers the cluster of ${problemKey(problem.number)} (${problem.cluster_key}); link its incidents there instead`);
      }
      changes.status = to;
      changed.push('status');
      if (to === 'resolved') changes.resolved_at = uow.now;
      if (to === 'closed') changes.closed_at = uow.now;
      if (problem.status === 'resolved' && to === 'investigating') changes.resolved_at = null;
    }
    if (!changed.length) return problem;
    const updated = await updateProblem(uow.trx, problem.id, changes, uow.now);
    if (moving && updated.status === 'resolved') {
      const incidents = await resolveLinkedIncidents(uow, deps, updated);
      uow.emit({ type: 'problem.resolved', aggregateType: 'problem', aggregateId: problem.id, data: { key: problemKey(updated.number), resolution: updated.resolution, resolved_incidents: incidents.map((incident) => incidentKey(incident.number)) } });
    } else {
      uow.emit({ type: 'problem.updated', aggregateType: 'problem', aggregateId: problem.id, data: { key: problemKey(updated.number), changes: changed, status: updated.status } });
    }
    return updated;
  });
}

async function linkableProblem(uow: UnitOfWork, ref: string): Promise<ProblemRow> {
  const problem = await loadProblem(uow.trx, ref, { forUpdate: true });
  if (!acceptsIncidents(problem.status)) throw Conflict(`Problem ${problemKey(problem.number)} is ${problem.status}; only open or investigating problems take incidents`);
  return problem;
}

/** POST /problems/:id/incidents/:incidentId — links, or moves the incident from another problem. */
export function linkIncident(deps: IncidentsDeps, problemRef: string, incidentRef: string, actor: Actor): Promise<IncidentRow> {
  return inTransaction(deps, actor, async (uow) => {
    const problem = await linkableProblem(uow, problemRef);
    return linkToProblem(uow, await loadIncident(uow.trx, incidentRef, { forUpdate: true }), problem);
  });
}

/** DELETE /problems/:id/incidents/:incidentId */
export function unlinkIncident(deps: IncidentsDeps, problemRef: string, incidentRef: string, actor: Actor): Promise<IncidentRow> {
  return inTransaction(deps, actor, async (uow) => {
    const problem = await loadProblem(uow.trx, problemRef, { forUpdate: true });
    const incident = await loadIncident(uow.trx, incidentRef, { forUpdate: true });
    if (incident.problem_id !== problem.id) throw NotFound(`link of incident ${incidentRef} to problem`, problemRef);
    return unlinkFromProblem(uow, incident);
  });
}

export interface EscalateInput {
  problem_id?: string;
  title?: string;
  description?: string;
}

/** POST /incidents/:id/escalate: links to the given problem, or opens one from the incident. */
export function escalateIncident(deps: IncidentsDeps, incidentRef: string, input: EscalateInput, actor: Actor): Promise<{ problem: ProblemRow; incident: IncidentRow; created: boolean }> {
  return inTransaction(deps, actor, async (uow) => {
    // Lock order everywhere: the problem before its incidents (as resolving does), so the two never deadlock.
    const target = input.problem_id ? await linkableProblem(uow, input.problem_id) : undefined;
    const incident = await loadIncident(uow.trx, incidentRef, { forUpdate: true });
    if (target) {
      const problem = target;
      if (incident.problem_id && incident.problem_id !== problem.id) {
        throw Conflict(`Incident ${incidentKey(incident.number)} already belongs to problem ${problemKey(incident.problem_number as number)}; a manager can move it`);
      }
      return { problem, incident: await linkToProblem(uow, incident, problem), created: false };
    }
    if (incident.problem_id) throw Conflict(`Incident ${incidentKey(incident.number)} already belongs to problem ${problemKey(incident.problem_number as number)}`);
    const problem = await createProblemRecord(
      uow,
      deps,
      { title: input.title ?? incident.title, description: input.description ?? `Escalated from ${incidentKey(incident.number)}: ${incident.description}`.slice(0, 20_000) },
      'escalation',
    );
    return { problem, incident: await linkToProblem(uow, incident, problem), created: true };
  });
}
