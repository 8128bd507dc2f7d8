import type { IncidentRow } from '../data/incident.repository.js';
import { incidentKey, problemKey } from './incident-ref.js';
import { breaches } from './sla.js';

/** A timestamp as the API and events write it: ISO 8601 in UTC, or null. */
// Rows give Dates; the Date copy is only for values that arrive as text (a hot path in lists).
export const iso = (date: Date | null) => (date === null ? null : date instanceof Date ? date.toISOString() : new Date(date).toISOString());

interface Audited {
  created_by: { id: string; username: string; name?: string };
  version: number;
  created_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
  closed_at: Date | null;
}

/** Who made it, its version and its life's moments: the same on incidents and problems. */
export const auditFields = (row: Audited) => ({
  created_by: row.created_by,
  version: row.version,
  created_at: iso(row.created_at) as string,
  updated_at: iso(row.updated_at) as string,
  resolved_at: iso(row.resolved_at),
  closed_at: iso(row.closed_at),
});

/** The public shape of an incident, used by the API and in event payloads; SLA flags as of `now`. */
export function incidentView(row: IncidentRow, now: Date) {
  const missed = breaches(row, now);
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
    client_id: row.client_id,
    order_id: row.order_id,
    assignee: row.assignee_id ? { id: row.assignee_id, name: row.assignee_name } : null,
    group: row.group_name,
    tags: row.tags,
    problem: row.problem_id ? { id: row.problem_id, key: problemKey(row.problem_number as number) } : null,
    resolution: row.resolution,
    cancel_reason: row.cancel_reason,
    sla: {
      first_response_due_at: iso(row.first_response_due_at) as string,
      resolution_due_at: iso(row.resolution_due_at) as string,
      first_responded_at: iso(row.first_responded_at),
      paused: row.sla_paused_at !== null,
      first_response_breached: missed.firstResponse,
      resolution_breached: missed.resolution,
    },
    ...auditFields(row),
  };
}

export type IncidentView = ReturnType<typeof incidentView>;
