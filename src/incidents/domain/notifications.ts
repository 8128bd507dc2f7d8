import type { IncidentRow } from '../data/incident.repository.js';
import { incidentKey } from './incident-ref.js';
import type { UnitOfWork } from './unit-of-work.js';

export type ReporterTemplate = 'incident.in_progress' | 'incident.waiting_customer' | 'incident.resolved' | 'incident.closed' | 'incident.agent_reply';

/**
 * Asks, through the outbox, that the reporter hear about this incident on its channel of
 * origin. Written in the same transaction as the change, so a notification is requested
 * exactly when the change happened; the notification worker sends it.
 */
export function requestReporterNotification(uow: UnitOfWork, incident: IncidentRow, template: ReporterTemplate, params: Record<string, string | null> = {}): void {
  uow.emit({
    type: 'notification.requested',
    aggregateType: 'incident',
    aggregateId: incident.id,
    data: {
      incident_id: incident.id,
      incident_key: incidentKey(incident.number),
      channel: incident.channel,
      reporter: incident.reporter,
      template,
      params,
    },
  });
}
