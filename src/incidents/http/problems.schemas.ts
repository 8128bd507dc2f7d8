import { z } from 'zod';
import { csv, PageQuery, safeText } from '../../platform/http/index.js';
import { IncidentRef, ProblemRefParam } from './incidents.schemas.js';

export const ProblemStatus = z.enum(['open', 'investigating', 'resolved', 'closed']);
const Origin = z.enum(['p1', 'cluster', 'escalation', 'manual']);
const Owner = z.strictObject({ id: safeText({ min: 1, max: 100 }), name: safeText({ min: 1, max: 200 }).optional() });

export const ProblemParams = z.strictObject({ id: ProblemRefParam });
export const ProblemIncidentParams = z.strictObject({ id: ProblemRefParam, incidentId: IncidentRef.shape.id });

export const CreateProblem = z
  .strictObject({ title: safeText({ min: 1, max: 200 }), description: safeText({ max: 20_000, trim: false }).default(''), owner: Owner.nullable().optional() })
  .meta({ id: 'CreateProblem' });

export const PatchProblem = z
  .strictObject({
    title: safeText({ min: 1, max: 200 }).optional(),
    description: safeText({ max: 20_000, trim: false }).optional(),
    owner: Owner.nullable().optional(),
    root_cause: safeText({ min: 1, max: 20_000 }).nullable().optional(),
    status: ProblemStatus.optional().describe('resolved resolves every open linked incident'),
    // Below the comment limit (20,000): resolving writes it, with the problem's title, into a comment on each incident.
    resolution: safeText({ min: 1, max: 19_000 }).optional().describe('Required when resolving'),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'Name at least one field to change')
  .meta({ id: 'PatchProblem' });

export const ProblemListQuery = PageQuery.extend({ status: csv(ProblemStatus).optional(), origin: csv(Origin).optional() }).strict();

const Instant = z.iso.datetime();
export const ProblemSchema = z
  .object({
    id: z.uuid(),
    key: z.string().describe('Human key, e.g. PRB-000045; accepted wherever an id is'),
    title: z.string(),
    description: z.string(),
    status: ProblemStatus,
    origin: Origin.describe('p1: a P1 incident; cluster: similar incidents; escalation: an agent; manual: opened by hand'),
    owner: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    root_cause: z.string().nullable(),
    resolution: z.string().nullable(),
    incident_count: z.number().int().optional(),
    created_by: z.object({ id: z.string(), username: z.string() }),
    version: z.number().int(),
    created_at: Instant,
    updated_at: Instant,
    resolved_at: Instant.nullable(),
    closed_at: Instant.nullable(),
  })
  .meta({ id: 'Problem' });
export const ProblemPage = z.object({ data: z.array(ProblemSchema), page: z.object({ next_cursor: z.string().nullable(), has_more: z.boolean() }) }).meta({ id: 'ProblemPage' });
