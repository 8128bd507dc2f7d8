import { z } from 'zod';
import { INCIDENT_KEY } from '../domain/incident-ref.js';

export const Priority = z.enum(['P1', 'P2', 'P3', 'P4']).describe('P1 is the most urgent');
export const Channel = z.enum(['web', 'telegram', 'sms', 'esb', 'api']);
export const Status = z.enum(['new', 'in_progress', 'waiting_customer', 'resolved', 'closed', 'cancelled']);

const Reporter = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    email: z.email().max(320).optional(),
    phone: z.string().regex(/^\+?[0-9 ()-]{3,32}$/, 'Not a phone number').optional(),
    telegram_chat_id: z.string().regex(/^-?\d{1,20}$/, 'Not a Telegram chat id').optional(),
  })
  .meta({ id: 'Reporter' });

export const CreateIncident = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(20_000).default(''),
    channel: Channel.default('web'),
    category: z.string().trim().min(1).max(100).optional(),
    priority: Priority.default('P3'),
    reporter: Reporter.optional(),
  })
  .meta({ id: 'CreateIncident' });
export type CreateIncident = z.infer<typeof CreateIncident>;

export const IncidentRef = z.strictObject({
  id: z.union([z.uuid(), z.string().regex(INCIDENT_KEY)], { error: 'Expected an incident UUID or key such as INC-000123' }),
});

const Actor = z.object({ id: z.string(), username: z.string(), name: z.string().optional() });

export const Incident = z
  .object({
    id: z.uuid(),
    key: z.string().describe('Human key, e.g. INC-000123; accepted wherever an id is'),
    title: z.string(),
    description: z.string(),
    channel: Channel,
    category: z.string().nullable(),
    priority: Priority,
    status: Status,
    reporter: Reporter,
    created_by: Actor,
    version: z.number().int(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'Incident' });
export type Incident = z.infer<typeof Incident>;
