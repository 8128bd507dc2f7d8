import { createHash } from 'node:crypto';
import { Conflict, HttpProblem, NotFound } from '../../../platform/http/index.js';
import { findInboxItem, saveInboxResult, takeIdempotencyKey } from '../../data/inbox.repository.js';
import type { Actor } from '../../data/incident.repository.js';
import { createIncidentIn, type CreateIncidentInput } from '../../domain/create-incident.js';
import type { IncidentsDeps } from '../../domain/deps.js';
import { incidentView } from '../../domain/incident-view.js';
import { inTransaction, type UnitOfWork } from '../../domain/unit-of-work.js';
import { writeComment } from '../../domain/add-comment.js';
import { incidentKey } from '../../domain/incident-ref.js';
import { incidentIdOf, loadIncident } from '../../domain/load.js';
import { applyTransition } from '../../domain/transition-incident.js';
import { presentComment } from '../../http/presenters.js';

export type EsbIncident = Omit<CreateIncidentInput, 'channel'>;

export interface EsbFiling {
  /** The message's own id, scoped by where it came from: `http:<caller's user id>:<Idempotency-Key>` or `amqp:<message-id>`. */
  externalId: string;
  incident: EsbIncident;
}

export interface EsbResult {
  status: number;
  body: unknown;
  /** The message was seen before: this is the first answer again, and nothing was written. */
  repeat: boolean;
}

/** The same key with another body is a caller's bug, not a repeat (the IETF Idempotency-Key draft's 422). */
const KeyReused = () =>
  new HttpProblem(422, 'Idempotency-Key reused', 'This Idempotency-Key was used before with a different body; use a new key for a new message', { type: 'https://figdesk.dev/problems/idempotency-key-reused' });

const hashOf = (payload: unknown) => createHash('sha256').update(JSON.stringify(payload)).digest('hex');

/**
 * Does `work` exactly once per message id: the id is taken in the transaction that does the
 * work, so a repeat (a retry, a redelivery, two at once) gets the first answer and writes
 * nothing, and a refusal (a 4xx thrown by `work`) rolls back and leaves the id unused. The same
 * id with another payload is refused with 422.
 */
async function once(deps: IncidentsDeps, externalId: string, payload: unknown, actor: Actor, work: (uow: UnitOfWork) => Promise<{ incidentId: string; body: unknown }>): Promise<EsbResult> {
  const requestHash = hashOf(payload);
  const first = await inTransaction(deps, actor, async (uow) => {
    const fresh = await takeIdempotencyKey(uow.trx, { channel: 'esb', external_id: externalId, conversation: null, payload, received_at: uow.now, request_hash: requestHash });
    if (!fresh) return undefined;
    const { incidentId, body } = await work(uow);
    await saveInboxResult(uow.trx, 'esb', externalId, { incident_id: incidentId, status: 201, body });
    return { status: 201, body, repeat: false };
  });
  if (first) return first;
  const stored = await findInboxItem(deps.db.primary, 'esb', externalId);
  if (!stored || stored.result_status === null) throw new Error(`inbox row of ${externalId} has no result`);
  if (stored.request_hash !== requestHash) throw KeyReused();
  return { status: stored.result_status, body: stored.result_body, repeat: true };
}

/** Files an incident from the service bus, once per message id. */
export function fileFromEsb(deps: IncidentsDeps, filing: EsbFiling, actor: Actor): Promise<EsbResult> {
  return once(deps, filing.externalId, filing.incident, actor, async (uow) => {
    const incident = await createIncidentIn(uow, deps, { ...filing.incident, channel: 'esb' }, actor);
    return { incidentId: incident.id, body: incidentView(incident, uow.now) };
  });
}

export interface EsbComment {
  /** As for an incident: `http:<caller's user id>:<Idempotency-Key>`. */
  externalId: string;
  /** The incident's id or key. */
  incident: string;
  body: string;
}

/**
 * A public comment from the service bus, once per message id, on an incident the bus filed (the
 * reporters of other incidents are reached through their own channels). The system speaks for
 * the reporter's side, so it is a reporter's reply, as in the bot's chat: an incident waiting
 * for the customer goes back to work, and so does one resolved within `reopenWindowMs`; the
 * reporter is not sent their own words. Refused with 409: an incident the bus did not file, a
 * closed or cancelled one, one resolved longer ago (a new incident is the answer there).
 */
export async function commentFromEsb(deps: IncidentsDeps, message: EsbComment, actor: Actor, rules: { reopenWindowMs: number }): Promise<EsbResult & { reopened: boolean }> {
  // The key's fingerprint names the incident by its id, however the caller wrote it (key or id).
  const incidentId = await incidentIdOf(deps.db.primary, message.incident);
  if (!incidentId) throw NotFound('incident', message.incident);
  let reopened = false;
  const result = await once(deps, message.externalId, { comment_on: incidentId, body: message.body }, actor, async (uow) => {
    let incident = await loadIncident(uow.trx, incidentId, { forUpdate: true });
    const key = incidentKey(incident.number);
    if (incident.channel !== 'esb') throw Conflict(`Incident ${key} was not filed through the service bus; its reporter is answered through ${incident.channel}`);
    if (incident.status === 'closed' || incident.status === 'cancelled') throw Conflict(`Incident ${key} is ${incident.status}; file a new incident instead`);
    reopened = incident.status === 'resolved';
    if (reopened) {
      if (uow.now.getTime() - (incident.resolved_at as Date).getTime() > rules.reopenWindowMs) throw Conflict(`Incident ${key} was resolved longer ago than REOPEN_WINDOW; file a new incident instead`);
      incident = await applyTransition(uow, deps, incident, { to: 'in_progress', reason: 'The reporter wrote again after the resolution' });
    }
    const { comment } = await writeComment(uow, deps, incident, { body: message.body, visibility: 'public' }, { ...actor, kind: 'reporter' });
    return { incidentId: incident.id, body: presentComment(comment) };
  });
  return { ...result, reopened: reopened && !result.repeat };
}
