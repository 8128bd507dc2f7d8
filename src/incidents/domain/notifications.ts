import { v7 as uuidv7 } from 'uuid';
import type { IncidentRow, Reporter } from '../data/incident.repository.js';
import type { Language, NotificationChannel } from '../data/notification.repository.js';
import { incidentKey } from './incident-ref.js';
import type { UnitOfWork } from './unit-of-work.js';

export type ReporterTemplate = 'incident.in_progress' | 'incident.waiting_customer' | 'incident.resolved' | 'incident.closed' | 'incident.agent_reply';

/** Where a reporter of this channel is reached, if we can reach them there at all. */
export function reporterAddress(channel: string, reporter: Reporter): { channel: NotificationChannel; recipient: string } | undefined {
  if (channel === 'telegram' && reporter.telegram_chat_id) return { channel, recipient: reporter.telegram_chat_id };
  if (channel === 'sms' && reporter.phone) return { channel, recipient: reporter.phone };
  return undefined;
}

/**
 * Asks that the reporter hear about this incident on its channel of origin. The event goes to
 * the outbox (analytics), and the message to the notifications queue, both in the transaction
 * of the change: a message is sent exactly when the change happened. Incidents filed by agents
 * or other systems have no channel to answer on; for them only the event is written.
 */
export function requestReporterNotification(uow: UnitOfWork, incident: IncidentRow, template: ReporterTemplate, params: Record<string, string | null> = {}): void {
  const eventId = uuidv7();
  const key = incidentKey(incident.number);
  uow.emit({
    id: eventId,
    type: 'notification.requested',
    aggregateType: 'incident',
    aggregateId: incident.id,
    data: { incident_id: incident.id, incident_key: key, channel: incident.channel, reporter: incident.reporter, template, params },
  });
  const address = reporterAddress(incident.channel, incident.reporter);
  if (address) {
    uow.notify({ id: uuidv7(), event_id: eventId, incident_id: incident.id, ...address, language: languageOf(incident.reporter), template, params: { ...params, key, title: incident.title } });
  }
}

/** The reporter's language; English when they never said (SMS, ESB). */
export const languageOf = (reporter: Reporter, fallback: Language = 'en'): Language => reporter.language ?? fallback;
