import { z } from 'zod';
import { csv, legacyId, legacyIdParam, PageQuery, pageSchema, phoneSearchParam, safeText } from '../../platform/http/index.js';

const Phone = z.string().regex(/^\+?[0-9 ()/.-]{3,40}$/, 'Not a phone number');

export const ClientRef = z.strictObject({ id: z.uuid({ error: 'Expected a client id (UUID)' }) });

export const CreateClient = z
  .strictObject({
    name: safeText({ min: 1, max: 200 }),
    phone: Phone.nullable().optional(),
    email: z.email().max(320).nullable().optional(),
    legacy_id: legacyId.optional()
      .describe('Set by the migration proxy (role migrator) when it migrates a legacy record: the copy gets the id the proxy handed out for it'),
    created_at: z.iso.datetime({ offset: true }).optional().describe('Migration proxy only: when legacy created or last changed the record'),
  })
  .meta({ id: 'CreateClient' });

export const PatchClient = z
  .strictObject({
    name: safeText({ min: 1, max: 200 }).optional(),
    phone: Phone.nullable().optional(),
    email: z.email().max(320).nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'Name at least one field to change')
  .meta({ id: 'PatchClient' });

export const ClientListQuery = PageQuery.extend({
  name: safeText({ min: 1, max: 200 }).optional().describe('Part of the name; case and accents are ignored'),
  phone: phoneSearchParam.optional().describe('A phone number, at least 5 digits: clients whose phone has the same digits, however either is spelt (+7 (912) 345-67-89 = 79123456789). With name, clients matching both'),
  legacy_id: csv(legacyIdParam).optional().describe('Only the migrated copies of these legacy records (comma-separated legacy ids)'),
}).strict();

export const ClientSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    legacy_id: z.number().nullable().describe('The record it was migrated from, null for clients created here'),
    version: z.number(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'Client' });

export const ClientPage = pageSchema(ClientSchema, 'ClientPage');
