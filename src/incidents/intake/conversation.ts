import { v7 as uuidv7 } from 'uuid';
import { saveConversation, type ConversationRow } from '../data/conversation.repository.js';
import { updateIncident, type Actor, type IncidentRow, type Reporter } from '../data/incident.repository.js';
import type { Language } from '../data/notification.repository.js';
import type { CommentAuthor } from '../data/comment.repository.js';
import { writeComment } from '../domain/add-comment.js';
import { createIncidentIn } from '../domain/create-incident.js';
import type { IncidentsDeps } from '../domain/deps.js';
import { incidentKey } from '../domain/incident-ref.js';
import { incidentView } from '../domain/incident-view.js';
import { applyProblemRules } from '../domain/problem-links.js';
import { applyTransition } from '../domain/transition-incident.js';
import type { UnitOfWork } from '../domain/unit-of-work.js';
import { conversationOf, type Attachment, type InboundMessage, type Sender } from './inbound-message.js';

const OPEN = new Set(['new', 'in_progress', 'waiting_customer']);
/** How many of a conversation's newest incidents a message is judged against. */
export const RECENT_INCIDENTS = 20;
// A /new without text makes the next message a new incident, if it comes within this time.
const NEW_REQUEST_VALID_MS = 24 * 3_600_000;

export type IntakeOutcome = 'filed' | 'threaded' | 'reopened' | 'command' | 'contact' | 'ignored';

export interface ConversationSettings {
  reopenWindowMs: number;
  language: Language;
}

/** The reporter's phone and the client it found, looked up before the transaction (a call to the edge). */
export interface ClientLookup {
  phone: string;
  clientId: string | null;
  /** False when the edge did not answer: the phone is kept, and the lookup tried again next time. */
  checked: boolean;
}

/** The reporter as the actor of history entries and events. */
export const reporterActor = (sender: Sender): Actor => ({ id: conversationOf(sender), username: sender.name ?? sender.address, ...(sender.name ? { name: sender.name } : {}) });
const authorOf = (sender: Sender): CommentAuthor => ({ ...reporterActor(sender), kind: 'reporter' });

/** The first line, as a title fits: at most 200 characters. */
function titleOf(text: string, attachments: Attachment[]): string {
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  if (!line) return attachments.length ? `${attachments[0]!.kind} from the reporter` : 'Message from the reporter';
  return line.length <= 200 ? line : `${line.slice(0, 199)}…`;
}

function bodyOf(text: string, attachments: Attachment[], edited: boolean): string {
  const files = attachments.map((file) => `[${file.kind}: ${file.file_id}]`).join(' ');
  const body = [text.trim(), files].filter(Boolean).join('\n');
  return edited ? `(edited) ${body}` : body;
}

/** Queues a message back to the sender; it goes out once the transaction commits. */
function reply(uow: UnitOfWork, sender: Sender, language: Language, template: string, params: Record<string, unknown>, incidentId: string | null = null): void {
  uow.notify({ id: uuidv7(), event_id: uuidv7(), incident_id: incidentId, channel: sender.channel, recipient: sender.address, language, template, params });
}

/**
 * What a reporter's message does, inside the transaction that also marks it handled:
 * commands answer; a message threads onto the conversation's newest open incident, reopens
 * one resolved within the reopen window, or else opens a new incident, answered with its key.
 * `known.conversation` may be read before the transaction: no other message of this conversation
 * is handled meanwhile (see claimInboxItems), so it is still current. `known.recent` are the
 * conversation's newest incidents (recentIncidentsOf), read inside the transaction.
 */
export async function handleInbound(
  uow: UnitOfWork,
  deps: IncidentsDeps,
  message: Exclude<InboundMessage, { kind: 'ignored' }>,
  settings: ConversationSettings,
  known: { conversation: ConversationRow | undefined; lookup?: ClientLookup; recent: IncidentRow[] },
): Promise<{ outcome: IntakeOutcome; incidentId?: string }> {
  const { sender } = message;
  const { conversation, lookup, recent } = known;
  const key = conversationOf(sender);
  const language = sender.language ?? settings.language;
  if (lookup) {
    const found = lookup.checked ? { client_id: lookup.clientId ?? conversation?.client_id ?? null, client_checked_at: uow.now } : {};
    await saveConversation(uow.trx, key, { phone: lookup.phone, ...found }, uow.now);
  }
  const clientId = lookup?.clientId ?? conversation?.client_id ?? null;
  const open = recent.filter((incident) => OPEN.has(incident.status));

  if (message.kind === 'command') {
    if (message.command === 'start') reply(uow, sender, language, 'bot.welcome', {});
    if (message.command === 'status') reply(uow, sender, language, 'bot.status', { incidents: open.map((incident) => ({ key: incidentKey(incident.number), status: incident.status, title: incident.title })) });
    if (message.command === 'new' && !message.text) {
      await saveConversation(uow.trx, key, { new_requested_at: uow.now }, uow.now);
      reply(uow, sender, language, 'bot.new_prompt', {});
    }
    if (message.command !== 'new' || !message.text) return { outcome: 'command' };
    // A /new with its text answers an earlier bare /new: the message after it threads onto this one.
    if (conversation?.new_requested_at) await saveConversation(uow.trx, key, { new_requested_at: null }, uow.now);
    const incident = await fileNew(uow, deps, sender, language, message.text, [], { clientId, phone: conversation?.phone ?? null });
    return { outcome: 'filed', incidentId: incident.id };
  }

  if (message.kind === 'contact') {
    for (const incident of open) await addContact(uow, deps, incident, message.phone, clientId);
    reply(uow, sender, language, 'bot.contact_saved', { client_found: Boolean(lookup?.clientId) });
    return { outcome: 'contact' };
  }

  const author = authorOf(sender);
  if (message.edited) {
    // An edit changes nothing silently: it is a new comment, marked as an edit.
    const target = open[0] ?? recent[0];
    if (!target) return { outcome: 'ignored' };
    await writeComment(uow, deps, target, { body: bodyOf(message.text, message.attachments, true), visibility: 'public', attachments: message.attachments }, author);
    return { outcome: 'threaded', incidentId: target.id };
  }
  const forcedNew = Boolean(conversation?.new_requested_at && uow.now.getTime() - new Date(conversation.new_requested_at).getTime() < NEW_REQUEST_VALID_MS);
  if (!forcedNew && open[0]) {
    // A client found by this message's lookup (an earlier one failed) belongs on the open incident too.
    const target = lookup?.clientId && !open[0].client_id ? await linkClient(uow, deps, open[0], lookup.clientId) : open[0];
    await writeComment(uow, deps, target, { body: bodyOf(message.text, message.attachments, false), visibility: 'public', attachments: message.attachments }, author);
    return { outcome: 'threaded', incidentId: target.id };
  }
  const resolved = recent.find((incident) => incident.status === 'resolved' && incident.resolved_at && uow.now.getTime() - new Date(incident.resolved_at).getTime() <= settings.reopenWindowMs);
  if (!forcedNew && resolved) {
    const reopened = await applyTransition(uow, deps, resolved, { to: 'in_progress', reason: 'The reporter wrote again after the resolution' });
    await writeComment(uow, deps, reopened, { body: bodyOf(message.text, message.attachments, false), visibility: 'public', attachments: message.attachments }, author);
    return { outcome: 'reopened', incidentId: resolved.id };
  }
  if (forcedNew) await saveConversation(uow.trx, key, { new_requested_at: null }, uow.now);
  const incident = await fileNew(uow, deps, sender, language, message.text, message.attachments, { clientId, phone: conversation?.phone ?? null });
  return { outcome: 'filed', incidentId: incident.id };
}

async function fileNew(uow: UnitOfWork, deps: IncidentsDeps, sender: Sender, language: Language, text: string, attachments: Attachment[], known: { clientId: string | null; phone: string | null }): Promise<IncidentRow> {
  const reporter: Reporter = {
    ...(sender.name ? { name: sender.name } : {}),
    ...(sender.channel === 'telegram' ? { telegram_chat_id: sender.address } : { phone: sender.address }),
    ...(known.phone && sender.channel === 'telegram' ? { phone: known.phone } : {}),
    language,
  };
  const incident = await createIncidentIn(uow, deps, { title: titleOf(text, attachments), description: text.trim(), channel: sender.channel, priority: 'P3', reporter, ...(known.clientId ? { client_id: known.clientId } : {}) }, reporterActor(sender));
  if (attachments.length) await writeComment(uow, deps, incident, { body: bodyOf('', attachments, false), visibility: 'public', attachments }, authorOf(sender));
  reply(uow, sender, language, 'intake.created', { key: incidentKey(incident.number), title: incident.title }, incident.id);
  return incident;
}

/** A shared phone number goes onto the reporter of each open incident, with the client it found. */
async function addContact(uow: UnitOfWork, deps: IncidentsDeps, incident: IncidentRow, phone: string, clientId: string | null): Promise<void> {
  await changeByIntake(uow, deps, incident, { reporter: { ...incident.reporter, phone }, ...(clientId && !incident.client_id ? { client_id: clientId } : {}) });
}

/** Links an incident that has no client to the one its reporter's phone found. */
function linkClient(uow: UnitOfWork, deps: IncidentsDeps, incident: IncidentRow, clientId: string): Promise<IncidentRow> {
  return changeByIntake(uow, deps, incident, { client_id: clientId });
}

/**
 * What a reporter's message changes on an incident, as an agent's edit would be recorded: a
 * history entry per field, `incident.updated`, and the problem rules a new client may match.
 */
async function changeByIntake(uow: UnitOfWork, deps: IncidentsDeps, incident: IncidentRow, changes: { reporter?: Reporter; client_id?: string }): Promise<IncidentRow> {
  let updated = await updateIncident(uow.trx, incident.id, changes, uow.now);
  const fields = (Object.keys(changes) as (keyof typeof changes)[]).map((field) => ({ field, before: incident[field] ?? null, after: changes[field] }));
  for (const change of fields) uow.record({ incident_id: incident.id, kind: 'field', ...change });
  uow.emit({ type: 'incident.updated', aggregateType: 'incident', aggregateId: incident.id, data: { changes: fields, incident: incidentView(updated, uow.now) } });
  if (changes.client_id) updated = await applyProblemRules(uow, deps, updated);
  return updated;
}
