import { BadRequest, decodeCursor, toPage, type Page } from '../../platform/http/index.js';
import { z } from 'zod';
import { listComments, type CommentRow, type Visibility } from '../data/comment.repository.js';
import { listHistory, type HistoryRow } from '../data/history.repository.js';
import { listIncidents, sortValue, type IncidentFilter, type Sort } from '../data/incident-query.js';
import { countIncidentsOfProblem } from '../data/incident.repository.js';
import { listProblems, type ProblemOrigin, type ProblemRow, type ProblemStatus } from '../data/problem.repository.js';
import type { IncidentsDeps } from './deps.js';
import { incidentView, type IncidentView } from './incident-view.js';
import { loadIncident, loadProblem } from './load.js';

// Cursors are validated before they reach SQL casts: a hand-made one is a 400, not a 500.
const Position = z.tuple([z.iso.datetime(), z.uuid()]);
const IncidentPosition = z.union([
  z.tuple([z.literal('priority'), z.enum(['P1', 'P2', 'P3', 'P4']), z.uuid()]),
  z.tuple([z.enum(['created_at', 'updated_at', 'due']), z.iso.datetime(), z.uuid()]),
]);

/** The cursor's position, refused when it was handed out for another sort order. */
function incidentPosition(cursor: string, sort: Sort): [string, string] {
  const [key, value, id] = decodeCursor(cursor, IncidentPosition);
  if (key !== sort.key) throw BadRequest('The cursor belongs to another sort order', [{ location: 'query', pointer: '#/cursor', detail: `Made for sort ${key}, not ${sort.key}` }]);
  return [value, id];
}

/** GET /incidents/:id; read from the primary, since agents open what they just changed. */
export async function getIncident(deps: IncidentsDeps, ref: string) {
  return loadIncident(deps.db.primary, ref);
}

/** GET /incidents: a page in one stable order, from the read replica. */
export async function findIncidents(deps: IncidentsDeps, query: { filter: IncidentFilter; sort: Sort; limit: number; cursor?: string }): Promise<Page<IncidentView>> {
  const now = deps.clock();
  const after = query.cursor ? incidentPosition(query.cursor, query.sort) : undefined;
  const rows = await listIncidents(deps.db.replica, { filter: query.filter, sort: query.sort, after, limit: query.limit, now });
  return toPage(rows, query.limit, (row) => [query.sort.key, sortValue(row, query.sort.key), row.id], (row) => incidentView(row, now));
}

export async function findComments(deps: IncidentsDeps, ref: string, query: { visibility?: Visibility; limit: number; cursor?: string }): Promise<Page<CommentRow>> {
  const incident = await loadIncident(deps.db.primary, ref);
  const after = query.cursor ? decodeCursor(query.cursor, Position) : undefined;
  const rows = await listComments(deps.db.primary, incident.id, { visibility: query.visibility, after, limit: query.limit + 1 });
  return toPage(rows, query.limit, (row) => [new Date(row.created_at).toISOString(), row.id], (row) => row);
}

export async function findHistory(deps: IncidentsDeps, ref: string, query: { limit: number; cursor?: string }): Promise<Page<HistoryRow>> {
  const incident = await loadIncident(deps.db.primary, ref);
  const afterId = query.cursor ? decodeCursor(query.cursor, z.number().int().nonnegative()) : undefined;
  const rows = await listHistory(deps.db.primary, incident.id, { afterId, limit: query.limit + 1 });
  return toPage(rows, query.limit, (row) => row.id, (row) => row);
}

export async function getProblem(deps: IncidentsDeps, ref: string): Promise<{ problem: ProblemRow; incidentCount: number }> {
  const problem = await loadProblem(deps.db.primary, ref);
  return { problem, incidentCount: await countIncidentsOfProblem(deps.db.primary, problem.id) };
}

export async function findProblems(deps: IncidentsDeps, query: { status?: ProblemStatus[]; origin?: ProblemOrigin[]; limit: number; cursor?: string }): Promise<Page<ProblemRow>> {
  const after = query.cursor ? decodeCursor(query.cursor, Position) : undefined;
  const rows = await listProblems(deps.db.replica, { status: query.status, origin: query.origin, after, limit: query.limit + 1 });
  return toPage(rows, query.limit, (row) => [new Date(row.created_at).toISOString(), row.id], (row) => row);
}
