import { z } from 'zod';
import { decodeCursor, NotFound, Conflict, PageQuery, pageSchema, toPage, type Api } from '../../platform/http/index.js';
import { inboxItemState, listInboxItems, retryInboxItem, type InboxItem } from '../data/inbox.repository.js';
import { listNotifications, notificationState, retryNotification, type NotificationRow } from '../data/notification.repository.js';
import type { IncidentsDeps } from '../domain/deps.js';
import { NO_SUCH_ID } from '../domain/incident-ref.js';
import { incidentIdOf } from '../domain/load.js';
import { IncidentRef } from '../http/incidents.schemas.js';

const tags = ['admin'];
const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

const NotificationSchema = z
  .object({
    id: z.uuid().describe('Also the idempotency key of the send'),
    incident_id: z.uuid().nullable(),
    channel: z.enum(['telegram', 'sms']),
    recipient: z.string(),
    language: z.enum(['en', 'ru']),
    template: z.string(),
    params: z.record(z.string(), z.unknown()),
    state: z.enum(['pending', 'sent', 'dead']),
    attempts: z.number().int(),
    next_attempt_at: z.string(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    sent_at: z.string().nullable(),
  })
  .meta({ id: 'Notification' });

const InboxItemSchema = z
  .object({
    id: z.string(),
    channel: z.enum(['telegram', 'sms', 'esb']),
    external_id: z.string().describe("The channel's own id: update_id, MessageSid, message id or Idempotency-Key"),
    state: z.enum(['pending', 'done', 'failed', 'ignored']),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    received_at: z.string(),
    processed_at: z.string().nullable(),
    incident_id: z.uuid().nullable(),
    payload: z.unknown().describe('The message as the channel sent it'),
  })
  .meta({ id: 'InboxItem' });

const presentNotification = (row: NotificationRow) => ({
  id: row.id, incident_id: row.incident_id, channel: row.channel, recipient: row.recipient, language: row.language, template: row.template, params: row.params,
  state: row.state, attempts: row.attempts, next_attempt_at: iso(row.next_attempt_at), last_error: row.last_error, created_at: iso(row.created_at), sent_at: iso(row.sent_at),
});

const presentInboxItem = (row: InboxItem) => ({
  id: String(row.id), channel: row.channel, external_id: row.external_id, state: row.state, attempts: row.attempts, last_error: row.last_error,
  received_at: iso(row.received_at), processed_at: iso(row.processed_at), incident_id: row.incident_id, payload: row.payload,
});

const IdParam = z.strictObject({ id: z.uuid() });
const InboxIdParam = z.strictObject({ id: z.string().regex(/^\d{1,18}$/, 'An inbox item id') });

/**
 * What admins need when a channel misbehaves: messages to reporters that died, messages from
 * reporters that could not be handled, and a retry for each.
 */
export function channelAdminRoutes(api: Api, deps: IncidentsDeps): void {
  api.add(
    { method: 'get', path: '/api/v1/admin/notifications', summary: 'Messages to reporters, newest first (state=dead: the ones that could not be delivered)', tags, access: ['admin'], query: PageQuery.extend({ state: z.enum(['pending', 'sent', 'dead']).optional(), incident_id: IncidentRef.shape.id.optional() }).strict(), responses: { 200: { description: 'A page of messages', schema: pageSchema(NotificationSchema, 'NotificationPage') } } },
    async ({ query }, _req, res) => {
      const before = query.cursor ? decodeCursor(query.cursor, z.tuple([z.iso.datetime(), z.uuid()])) : undefined;
      // An incident's key (INC-000123) works as well as its id; an unknown one has no messages.
      const incidentId = query.incident_id ? ((await incidentIdOf(deps.db.replica, query.incident_id)) ?? NO_SUCH_ID) : undefined;
      const rows = await listNotifications(deps.db.replica, { state: query.state, incidentId, before, limit: query.limit + 1 });
      res.json(toPage(rows, query.limit, (row) => [iso(row.created_at), row.id], presentNotification));
    },
  );

  api.add(
    { method: 'post', path: '/api/v1/admin/notifications/:id/retry', summary: 'Send a dead message again (attempts start afresh)', tags, access: ['admin'], params: IdParam, responses: { 200: { description: 'Queued again', schema: NotificationSchema }, 404: { description: 'No such message' }, 409: { description: 'The message is not dead' } } },
    async ({ params }, _req, res) => {
      const row = await retryNotification(deps.db.primary, params.id, deps.clock());
      if (!row) {
        const state = await notificationState(deps.db.primary, params.id);
        if (!state) throw NotFound('notification', params.id);
        throw Conflict(`Only a dead message can be retried; this one is ${state}`);
      }
      res.json(presentNotification(row));
    },
  );

  api.add(
    { method: 'get', path: '/api/v1/admin/inbox', summary: 'Messages from the channels, newest first (state=failed: the ones that could not be handled)', tags, access: ['admin'], query: PageQuery.extend({ state: z.enum(['pending', 'done', 'failed', 'ignored']).optional(), channel: z.enum(['telegram', 'sms', 'esb']).optional() }).strict(), responses: { 200: { description: 'A page of inbox items', schema: pageSchema(InboxItemSchema, 'InboxPage') } } },
    async ({ query }, _req, res) => {
      const before = query.cursor ? decodeCursor(query.cursor, z.string().regex(/^\d+$/)) : undefined;
      const rows = await listInboxItems(deps.db.replica, { state: query.state, channel: query.channel, before, limit: query.limit + 1 });
      res.json(toPage(rows, query.limit, (row) => String(row.id), presentInboxItem));
    },
  );

  api.add(
    { method: 'post', path: '/api/v1/admin/inbox/:id/retry', summary: 'Handle a failed message again', tags, access: ['admin'], params: InboxIdParam, responses: { 200: { description: 'Queued again', schema: InboxItemSchema }, 404: { description: 'No such item' }, 409: { description: 'The item has not failed' } } },
    async ({ params }, _req, res) => {
      const row = await retryInboxItem(deps.db.primary, params.id, deps.clock());
      if (!row) {
        const state = await inboxItemState(deps.db.primary, params.id);
        if (!state) throw NotFound('inbox item', params.id);
        throw Conflict(`Only a failed item can be retried; this one is ${state}`);
      }
      res.json(presentInboxItem(row));
    },
  );
}
