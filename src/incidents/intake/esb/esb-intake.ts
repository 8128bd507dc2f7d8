import { createHash } from 'node:crypto';
import { HttpProblem } from '../../../platform/http/index.js';
import { findInboxItem, saveInboxResult, takeIdempotencyKey } from '../../data/inbox.repository.js';
import type { Actor } from '../../data/incident.repository.js';
import { createIncidentIn, type CreateIncidentInput } from '../../domain/create-incident.js';
import type { IncidentsDeps } from '../../domain/deps.js';
import { incidentView } from '../../domain/incident-view.js';
import { inTransaction } from '../../domain/unit-of-work.js';

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
  new HttpProblem(422, 'Idempotency-Key reused', 'This Idempotency-Key was used before with a different body; use a new key for a new incident', { type: 'https://figdesk.dev/problems/idempotency-key-reused' });

const hashOf = (incident: EsbIncident) => createHash('sha256').update(JSON.stringify(incident)).digest('hex');

/**
 * Files an incident from the service bus exactly once per message id: the id is taken in the
 * transaction that files the incident, so a repeat (a retry, a redelivery, two at once) gets the
 * first answer and writes nothing.
 */
export async function fileFromEsb(deps: IncidentsDeps, filing: EsbFiling, actor: Actor): Promise<EsbResult> {
  const requestHash = hashOf(filing.incident);
  const first = await inTransaction(deps, actor, async (uow) => {
    const fresh = await takeIdempotencyKey(uow.trx, { channel: 'esb', external_id: filing.externalId, conversation: null, payload: filing.incident, received_at: uow.now, request_hash: requestHash });
    if (!fresh) return undefined;
    const incident = await createIncidentIn(uow, deps, { ...filing.incident, channel: 'esb' }, actor);
    const body = incidentView(incident, uow.now);
    await saveInboxResult(uow.trx, 'esb', filing.externalId, { incident_id: incident.id, status: 201, body });
    return { status: 201, body, repeat: false };
  });
  if (first) return first;
  const stored = await findInboxItem(deps.db.primary, 'esb', filing.externalId);
  if (!stored || stored.result_status === null) throw new Error(`inbox row of ${filing.externalId} has no result`);
  if (stored.request_hash !== requestHash) throw KeyReused();
  return { status: stored.result_status, body: stored.result_body, repeat: true };
}
