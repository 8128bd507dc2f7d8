import { v7 as uuidv7 } from 'uuid';
import { type CommentAuthor, type CommentRow, type Visibility } from '../data/comment.repository.js';
import type { IncidentRow } from '../data/incident.repository.js';
import type { IncidentsDeps } from './deps.js';
import { loadIncident } from './load.js';
import { requestReporterNotification } from './notifications.js';
import { applyTransition } from './transition-incident.js';
import { inTransaction, type UnitOfWork } from './unit-of-work.js';

export interface CommentInput {
  body: string;
  visibility: Visibility;
  attachments?: unknown[];
}

/** Adds a comment inside a unit of work: history, `incident.commented`, and what it implies for the status. */
export async function writeComment(uow: UnitOfWork, deps: IncidentsDeps, incident: IncidentRow, input: CommentInput, author: CommentAuthor): Promise<{ comment: CommentRow; incident: IncidentRow }> {
  const comment: CommentRow = { id: uuidv7(), incident_id: incident.id, author, visibility: input.visibility, body: input.body, attachments: input.attachments ?? [], created_at: uow.now };
  uow.addComment(comment);
  uow.record({ incident_id: incident.id, kind: 'comment', field: input.visibility, after: { comment_id: comment.id, author: author.username } });
  uow.emit({ type: 'incident.commented', aggregateType: 'incident', aggregateId: incident.id, data: { comment_id: comment.id, visibility: input.visibility, author, body: input.body } });

  let current = incident;
  if (input.visibility === 'public' && author.kind === 'agent') {
    // An agent's first public answer is the first response: the incident is being worked on.
    // The reporter gets the answer itself, not a status notice besides.
    if (current.status === 'new') current = await applyTransition(uow, deps, current, { to: 'in_progress' }, { quiet: true });
    requestReporterNotification(uow, current, 'incident.agent_reply', { comment_id: comment.id, body: input.body });
  }
  if (author.kind === 'reporter' && current.status === 'waiting_customer') {
    current = await applyTransition(uow, deps, current, { to: 'in_progress' });
  }
  return { comment, incident: current };
}

/** POST /incidents/:id/comments */
export function addComment(deps: IncidentsDeps, ref: string, input: CommentInput, author: CommentAuthor): Promise<{ comment: CommentRow; incident: IncidentRow }> {
  return inTransaction(deps, { id: author.id, username: author.username, ...(author.name ? { name: author.name } : {}) }, async (uow) => {
    const incident = await loadIncident(uow.trx, ref, { forUpdate: true });
    return writeComment(uow, deps, incident, input, author);
  });
}
