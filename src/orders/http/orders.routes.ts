import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { assertRole } from '../../platform/auth/index.js';
import type { Api } from '../../platform/http/index.js';
import { decodeCursor, etagOf, IfMatch, NotFound, requiredVersion, toPage, unchangedBecause } from '../../platform/http/index.js';
import { legacyPublicId } from '../../platform/ids/legacy-public-id.js';
import { findOrder, insertOrder, listOrders, updateOrder, type Db, type OrderRow } from '../data/orders.repository.js';
import { CreateOrder, OrderListQuery, OrderPage, OrderRef, OrderSchema, PatchOrder } from './orders.schemas.js';

const tags = ['orders'];

export const presentOrder = (row: OrderRow) => ({
  id: row.id,
  number: row.number,
  client_id: row.client_id,
  status: row.status,
  total: row.total,
  currency: row.currency,
  legacy_id: row.legacy_id === null ? null : Number(row.legacy_id),
  version: row.version,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

export function orderRoutes(api: Api, db: { primary: Db; replica: Db }, clock: () => Date): void {
  api.add(
    { method: 'get', path: '/api/v1/orders', summary: 'List orders in id order; by number, part of it, or client', tags, access: ['agent', 'manager'], query: OrderListQuery, responses: { 200: { description: 'A page of orders', schema: OrderPage } } },
    async ({ query }, _req, res) => {
      const afterId = query.cursor ? decodeCursor(query.cursor, z.uuid()) : undefined;
      const rows = await listOrders(db.replica, { filter: { q: query.q, number: query.number, clientIds: query.client_id, legacyIds: query.legacy_id }, afterId, limit: query.limit + 1 });
      res.json(toPage(rows, query.limit, (row) => row.id, presentOrder));
    },
  );

  api.add(
    { method: 'get', path: '/api/v1/orders/:id', summary: 'Read an order', tags, access: ['agent', 'manager'], params: OrderRef, responses: { 200: { description: 'The order', schema: OrderSchema, headers: { ETag: 'Version for If-Match' } }, 404: { description: 'No such order' } } },
    async ({ params }, _req, res) => {
      const order = await findOrder(db.primary, params.id);
      if (!order) throw NotFound('order', params.id);
      res.set('ETag', etagOf(order)).json(presentOrder(order));
    },
  );

  api.add(
    { method: 'post', path: '/api/v1/orders', summary: 'Create an order (with legacy_id: the migrated copy of a legacy order)', tags, access: ['agent'], body: CreateOrder, responses: { 201: { description: 'Created', schema: OrderSchema, headers: { Location: 'URL of the order', ETag: 'Version for If-Match' } }, 403: { description: 'number, legacy_id or timestamps without the migrator role' }, 409: { description: 'The number is taken, or that legacy order has a copy already' } } },
    async ({ body, user }, _req, res) => {
      // A legacy number or id would let a caller claim (or block) a legacy order's migration.
      if (body.legacy_id !== undefined || body.number !== undefined || body.created_at !== undefined || body.updated_at !== undefined) assertRole(user, ['migrator']);
      const id = body.legacy_id === undefined ? uuidv7() : legacyPublicId('order', body.legacy_id);
      const createdAt = body.created_at ? new Date(body.created_at) : clock();
      const order = await insertOrder(db.primary, { id, number: body.number, client_id: body.client_id, status: body.status, total: body.total, currency: body.currency, legacy_id: body.legacy_id ?? null, created_at: createdAt, updated_at: body.updated_at ? new Date(body.updated_at) : createdAt });
      res.status(201).location(`/api/v1/orders/${order.id}`).set('ETag', etagOf(order)).json(presentOrder(order));
    },
  );

  api.add(
    { method: 'patch', path: '/api/v1/orders/:id', summary: 'Change an order (If-Match required)', tags, access: ['agent'], params: OrderRef, headers: IfMatch, body: PatchOrder, responses: { 200: { description: 'The changed order', schema: OrderSchema }, 404: { description: 'No such order' }, 412: { description: 'Stale version' }, 428: { description: 'If-Match missing' } } },
    async ({ params, body }, req, res) => {
      const version = requiredVersion(req.get('if-match'));
      const order = await updateOrder(db.primary, params.id, version, body, clock());
      if (!order) unchangedBecause('order', params.id, await findOrder(db.primary, params.id), version);
      res.set('ETag', etagOf(order)).json(presentOrder(order));
    },
  );
}
