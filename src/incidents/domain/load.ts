import { NotFound, PreconditionFailed } from '../../platform/http/index.js';
import { findIncident, type Db, type IncidentRow } from '../data/incident.repository.js';
import { findProblem, type ProblemRow } from '../data/problem.repository.js';
import { parseIncidentRef, parseProblemRef } from './incident-ref.js';

/** Reads an incident by id or key (locked when `forUpdate`); 404 when there is none. */
export async function loadIncident(db: Db, ref: string, options: { forUpdate?: boolean } = {}): Promise<IncidentRow> {
  const incident = await findIncident(db, parseIncidentRef(ref), options);
  if (!incident) throw NotFound('incident', ref);
  return incident;
}

/** An incident's id from its id or key: a UUID as it is, a key looked up (undefined when no incident has it). */
export async function incidentIdOf(db: Db, ref: string): Promise<string | undefined> {
  const parsed = parseIncidentRef(ref);
  return 'id' in parsed ? parsed.id : (await findIncident(db, parsed))?.id;
}

export async function loadProblem(db: Db, ref: string, options: { forUpdate?: boolean } = {}): Promise<ProblemRow> {
  const problem = await findProblem(db, parseProblemRef(ref), options);
  if (!problem) throw NotFound('problem', ref);
  return problem;
}

/** Optimistic concurrency: a stale `If-Match` version is 412. */
export function checkVersion(current: { version: number }, expected: number | undefined, what: string): void {
  if (expected !== undefined && expected !== current.version) {
    throw PreconditionFailed(`The ${what} changed since version ${expected}; it is at version ${current.version}. Read it again and retry.`);
  }
}
