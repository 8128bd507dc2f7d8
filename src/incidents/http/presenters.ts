import type { CommentRow } from '../data/comment.repository.js';
import type { HistoryRow } from '../data/history.repository.js';
import type { ProblemRow } from '../data/problem.repository.js';
import { problemKey } from '../domain/incident-ref.js';
import { auditFields, iso } from '../domain/incident-view.js';

export const presentComment = (row: CommentRow) => ({ ...row, created_at: iso(row.created_at) as string });
export const presentHistory = (row: HistoryRow) => ({ id: row.id, at: iso(row.at) as string, actor: row.actor, kind: row.kind, field: row.field, before: row.before, after: row.after });

export function presentProblem(row: ProblemRow, incidentCount?: number) {
  return {
    id: row.id,
    key: problemKey(row.number),
    title: row.title,
    description: row.description,
    status: row.status,
    origin: row.origin,
    owner: row.owner_id ? { id: row.owner_id, name: row.owner_name } : null,
    root_cause: row.root_cause,
    resolution: row.resolution,
    ...(incidentCount === undefined ? {} : { incident_count: incidentCount }),
    ...auditFields(row),
  };
}
