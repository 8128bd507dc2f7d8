import { z } from 'zod';
import { csv, legacyId, legacyIdParam, PageQuery, pageSchema, safeText } from '../../platform/http/index.js';

export const OrderStatus = z.enum(['open', 'paid', 'shipped', 'cancelled']);
const Money = z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'Expected an amount such as 120.50').describe('Decimal as a string, two places at most');
const Currency = z.string().regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 code such as EUR');
const OrderNumber = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_/-]{0,39}$/, 'Expected an order number of letters, digits, - _ /');

export const OrderRef = z.strictObject({ id: z.uuid({ error: 'Expected an order id (UUID)' }) });

export const CreateOrder = z
  .strictObject({
    client_id: z.uuid().describe('Public id of the client, as the proxy hands it out'),
    number: OrderNumber.optional().describe('Migration proxy only: the legacy order number; ORD-000123 otherwise'),
    status: OrderStatus.default('open'),
    total: Money,
    currency: Currency.default('EUR'),
    legacy_id: legacyId.optional().describe('Migration proxy only (role migrator): the legacy order this copies'),
    created_at: z.iso.datetime({ offset: true }).optional().describe('Migration proxy only: when legacy created the order'),
    updated_at: z.iso.datetime({ offset: true }).optional().describe('Migration proxy only: when legacy last changed the order'),
  })
  .meta({ id: 'CreateOrder' });

export const PatchOrder = z
  .strictObject({ status: OrderStatus.optional(), total: Money.optional(), currency: Currency.optional() })
  .refine((patch) => Object.keys(patch).length > 0, 'Name at least one field to change')
  .meta({ id: 'PatchOrder' });

export const OrderListQuery = PageQuery.extend({
  q: safeText({ min: 1, max: 40 }).optional().describe('Part of the order number, any case'),
  number: OrderNumber.optional().describe('Exactly this order number'),
  client_id: csv(z.uuid()).optional().describe('Orders of these clients (comma-separated public ids)'),
  legacy_id: csv(legacyIdParam).optional().describe('Only the migrated copies of these legacy orders'),
}).strict();

export const OrderSchema = z
  .object({
    id: z.uuid(),
    number: z.string(),
    client_id: z.uuid(),
    status: OrderStatus,
    total: z.string(),
    currency: z.string(),
    legacy_id: z.number().nullable(),
    version: z.number(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'Order' });

export const OrderPage = pageSchema(OrderSchema, 'OrderPage');
