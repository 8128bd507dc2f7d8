import type { Knex } from 'knex';
import { NotFound } from '../../platform/http/index.js';
import { findIncident, type IncidentRow } from '../data/incident.repository.js';
import { parseIncidentRef } from './incident-ref.js';

/** Reads one incident by id or key; 404 when there is none. */
export async function getIncident(db: Knex, ref: string): Promise<IncidentRow> {
  const incident = await findIncident(db, parseIncidentRef(ref));
  if (!incident) throw NotFound('incident', ref);
  return incident;
}
