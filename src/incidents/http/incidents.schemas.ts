import { z } from 'zod';
import { booleanParam, csv, durationParam, externalId, instant, PageQuery, safeText } from '../../platform/http/index.js';
import { INCIDENT_KEY, PROBLEM_KEY } from '../domain/incident-ref.js';
import { STATUSES } from '../domain/status-machine.js';

export const Priority = z.enum(['P1', 'P2', 'P3', 'P4']).describe('P1 is the most urgent');
export const Channel = z.enum(['web', 'telegram', 'sms', 'esb', 'api']);
export const Status = z.enum(STATUSES);

const Reporter = z
  .strictObject({
    name: safeText({ min: 1, max: 200 }).optional(),
    email: z.email().max(320).optional(),
    phone: z.string().regex(/^\+?[0-9 ()-]{3,32}$/, 'Not a phone number').optional(),
    telegram_chat_id: z.string().regex(/^-?\d{1,20}$/, 'Not a Telegram chat id').optional(),
    language: z.enum(['en', 'ru']).optional().describe('Language of messages to the reporter'),
  })
  .meta({ id: 'Reporter' });

const Person = z.strictObject({ id: safeText({ min: 1, max: 100 }), name: safeText({ min: 1, max: 200 }).optional() }).meta({ id: 'Person' });
const Tags = z.array(z.string().regex(/^[\p{L}\p{N}_-]{1,50}$/u, 'Tags are words of letters, digits, - and _')).max(20);

export const IncidentRef = z.strictObject({
  id: z.union([z.uuid(), z.string().regex(INCIDENT_KEY)], { error: 'Expected an incident UUID or key such as INC-000123' }),
});
export const ProblemRefParam = z.union([z.uuid(), z.string().regex(PROBLEM_KEY)], { error: 'Expected a problem UUID or key such as PRB-000045' });

/** Schemas that depend on configuration (the category list), built once at start. */
export function incidentSchemas(categories: readonly string[]) {
  const Category = z.enum(categories as [string, ...string[]]);

  const CreateIncident = z
    .strictObject({
      title: safeText({ min: 1, max: 200 }),
      description: safeText({ max: 20_000, trim: false }).default(''),
      channel: Channel.default('web'),
      category: Category.optional(),
      priority: Priority.default('P3'),
      reporter: Reporter.optional(),
      client_id: externalId.optional(),
      order_id: externalId.optional(),
      assignee: Person.nullable().optional(),
      group: safeText({ min: 1, max: 100 }).optional(),
      tags: Tags.optional(),
    })
    .meta({ id: 'CreateIncident' });

  const PatchIncident = z
    .strictObject({
      title: safeText({ min: 1, max: 200 }).optional(),
      description: safeText({ max: 20_000, trim: false }).optional(),
      category: Category.nullable().optional(),
      priority: Priority.optional(),
      reporter: Reporter.optional(),
      client_id: externalId.nullable().optional(),
      order_id: externalId.nullable().optional(),
      assignee: Person.nullable().optional(),
      group: safeText({ min: 1, max: 100 }).nullable().optional(),
      tags: Tags.optional(),
    })
    .refine((patch) => Object.keys(patch).length > 0, 'Name at least one field to change')
    .meta({ id: 'PatchIncident', description: 'Fields to change. The status changes through /transitions.' });

  const ListQuery = PageQuery.extend({
    status: csv(Status).optional(),
    priority: csv(Priority).optional(),
    category: csv(Category).optional(),
    channel: csv(Channel).optional(),
    assignee: safeText({ min: 1, max: 100 }).optional().describe('A user id, `me`, or `none` for unassigned'),
    group: safeText({ min: 1, max: 100 }).optional(),
    tag: z.string().regex(/^[\p{L}\p{N}_-]{1,50}$/u).optional(),
    client_id: externalId.optional(),
    order_id: externalId.optional(),
    problem: ProblemRefParam.optional(),
    created_from: instant.optional(),
    created_to: instant.optional(),
    updated_from: instant.optional(),
    updated_to: instant.optional(),
    q: safeText({ min: 1, max: 200 }).optional().describe('Words in title or description; "a phrase", -excluded, or'),
    breached: booleanParam.optional().describe('Only incidents that missed (true) or met so far (false) their SLA'),
    due_within: durationParam.optional().describe('Open incidents whose resolution is due within this time, e.g. 2h'),
    sort: z.enum(['created_at', '-created_at', 'updated_at', '-updated_at', 'due', '-due', 'priority', '-priority']).default('-created_at'),
  }).strict();

  return { CreateIncident, PatchIncident, ListQuery };
}

export const Transition = z
  .strictObject({
    to: Status,
    reason: safeText({ min: 1, max: 2_000 }).optional().describe('Required when cancelling'),
    resolution: safeText({ min: 1, max: 20_000 }).optional().describe('Required when resolving'),
  })
  .meta({ id: 'Transition' });

export const CreateComment = z
  .strictObject({
    body: safeText({ min: 1, max: 20_000, trim: false }).refine((body) => body.trim().length > 0, 'Must not be blank'),
    visibility: z.enum(['public', 'internal']).default('internal').describe('public goes to the reporter; internal is for agents only'),
  })
  .meta({ id: 'CreateComment' });

export const Escalate = z
  .strictObject({
    problem_id: ProblemRefParam.optional().describe('Link to this problem; omitted, a new problem is opened from the incident'),
    title: safeText({ min: 1, max: 200 }).optional(),
    description: safeText({ max: 20_000, trim: false }).optional(),
  })
  .meta({ id: 'Escalate' });

const Actor = z.object({ id: z.string(), username: z.string(), name: z.string().optional() });
const Instant = z.iso.datetime();

export const IncidentSchema = z
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
    client_id: z.string().nullable(),
    order_id: z.string().nullable(),
    assignee: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    group: z.string().nullable(),
    tags: z.array(z.string()),
    problem: z.object({ id: z.uuid(), key: z.string() }).nullable(),
    resolution: z.string().nullable(),
    cancel_reason: z.string().nullable(),
    sla: z.object({
      first_response_due_at: Instant,
      resolution_due_at: Instant,
      first_responded_at: Instant.nullable(),
      paused: z.boolean().describe('True while waiting for the customer: the clock stands still'),
      first_response_breached: z.boolean(),
      resolution_breached: z.boolean(),
    }),
    created_by: Actor,
    version: z.number().int(),
    created_at: Instant,
    updated_at: Instant,
    resolved_at: Instant.nullable(),
    closed_at: Instant.nullable(),
  })
  .meta({ id: 'Incident' });

const Page = z.object({ next_cursor: z.string().nullable(), has_more: z.boolean() });
export const IncidentPage = z.object({ data: z.array(IncidentSchema), page: Page }).meta({ id: 'IncidentPage' });

export const CommentSchema = z
  .object({
    id: z.uuid(),
    incident_id: z.uuid(),
    author: z.object({ id: z.string(), username: z.string(), name: z.string().optional(), kind: z.enum(['agent', 'reporter', 'system']) }),
    visibility: z.enum(['public', 'internal']),
    body: z.string(),
    attachments: z.array(z.unknown()),
    created_at: Instant,
  })
  .meta({ id: 'Comment' });
export const CommentPage = z.object({ data: z.array(CommentSchema), page: Page }).meta({ id: 'CommentPage' });

export const HistorySchema = z
  .object({ id: z.number().int(), at: Instant, actor: Actor.nullable(), kind: z.string(), field: z.string().nullable(), before: z.unknown(), after: z.unknown() })
  .meta({ id: 'HistoryEntry' });
export const HistoryPage = z.object({ data: z.array(HistorySchema), page: Page }).meta({ id: 'HistoryPage' });
