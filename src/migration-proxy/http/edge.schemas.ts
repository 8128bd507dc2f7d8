import { z } from 'zod';
import { phoneSearchParam, safeText } from '../../platform/http/index.js';
import { ROUTE_MODES } from '../routing/route-modes.js';

const SourceState = z.enum(['ok', 'timeout', 'error', 'circuit_open', 'skipped']);

/** Where a record of a merged list came from; `stale` when it is a cached copy served while legacy failed. */
const Provenance = {
  source: z.enum(['new', 'legacy']).describe('new: our service (created here or migrated); legacy: still only in the legacy CRM'),
  stale: z.boolean().optional().describe('Served from the cache because legacy did not answer'),
};

const mergedPage = (item: z.ZodType, service: 'clients' | 'orders', id: string) =>
  z
    .object({
      data: z.array(item),
      page: z.object({ next_cursor: z.string().nullable(), has_more: z.boolean() }),
      meta: z.object({ sources: z.object({ [service]: SourceState, legacy: SourceState }) }).describe('How each source answered this page'),
    })
    .meta({ id });

// The records themselves are the services' own shapes (schemas Client and Order); the edge
// imports no service's files, so it describes only what it adds.
const record = (name: string) => z.looseObject({ id: z.uuid(), legacy_id: z.number().nullable(), ...Provenance }).describe(`A ${name} in the ${name}s service's shape, with where it came from`);

export const MergedClientPage = mergedPage(record('client'), 'clients', 'MergedClientPage');
export const MergedOrderPage = mergedPage(record('order'), 'orders', 'MergedOrderPage');

const MergedPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Items per page (1–100)'),
  cursor: z.string().max(1000).optional().describe('Opaque cursor from `page.next_cursor` of the previous page'),
});

export const MergedClientQuery = MergedPageQuery.extend({
  name: safeText({ min: 1, max: 200 }).optional().describe('Part of the name. Our clients ignore case and accents; the legacy CRM ignores case only'),
  phone: phoneSearchParam.optional().describe('A phone number, at least 5 digits: clients whose phone has the same digits, however either is spelt (+7 (912) 345-67-89 = 79123456789). With name, clients matching both'),
}).strict();

export const MergedOrderQuery = MergedPageQuery.extend({
  q: safeText({ min: 1, max: 40 }).optional().describe('Part of the order number, any case'),
  number: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_/-]{0,39}$/, 'Expected an order number').optional().describe('Exactly this order number'),
  client_id: z.uuid().optional().describe('Orders of this client: a legacy-born or a native client id'),
}).strict();

export const MergeCursorSchema = z.object({ a: z.uuid().nullable(), o: z.number().int().min(0).max(100_000_000) });

export const RoutedResourceParams = z.strictObject({ resource: z.enum(['clients', 'orders']) });
export const RouteModeBody = z.strictObject({ mode: z.enum(ROUTE_MODES) }).meta({ id: 'RouteModeChange' });
export const RouteModeSchema = z
  .object({ resource: z.enum(['clients', 'orders']), mode: z.enum(ROUTE_MODES), changed_by: z.string().nullable(), changed_at: z.iso.datetime().nullable() })
  .meta({ id: 'RouteMode' });
export const RouteModeList = z.object({ data: z.array(RouteModeSchema) }).meta({ id: 'RouteModeList' });
