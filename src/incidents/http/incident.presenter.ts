import type { IncidentRow } from '../data/incident.repository.js';
import { incidentKey } from '../domain/incident-ref.js';
import type { Incident } from './incidents.schemas.js';

/** The public shape of an incident (API answers and event payloads). */
export function presentIncident(row: IncidentRow): Incident {
  return {
    id: row.id,
    key: incidentKey(row.number),
    title: row.title,
    description: row.description,
    channel: row.channel,
    category: row.category,
    priority: row.priority,
    status: row.status,
    reporter: row.reporter,
    created_by: row.created_by,
    version: row.version,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** Strong ETag from the row version; `If-Match` on updates compares against it. */
export const etagOf = (row: Pick<IncidentRow, 'version'>) => `"${row.version}"`;
