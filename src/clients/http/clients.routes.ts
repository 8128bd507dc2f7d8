import { v7 as uuidv7 } from 'uuid';
import { assertRole } from '../../platform/auth/index.js';
import type { Api } from '../../platform/http/index.js';
import { decodeCursor, etagOf, IfMatch, NotFound, requiredVersion, toPage, unchangedBecause } from '../../platform/http/index.js';
import { legacyPublicId } from '../../platform/ids/legacy-public-id.js';
import { findClient, insertClient, listClients, updateClient, type ClientRow, type Db } from '../data/clients.repository.js';
import { ClientListQuery, ClientPage, ClientRef, ClientSchema, CreateClient, PatchClient } from './clients.schemas.js';
import { z } from 'zod';

const tags = ['clients'];

export const presentClient = (row: ClientRow) => ({
  id: row.id,
  name: row.name,
  phone: row.phone,
  email: row.email,
  legacy_id: row.legacy_id === null ? null : Number(row.legacy_id),
  version: row.version,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

export function clientRoutes(api: Api, db: { primary: Db; replica: Db }, clock: () => Date): void {
  api.add(
    { method: 'get', path: '/api/v1/clients', summary: 'List clients in id order, or search them by name or phone', tags, access: ['agent', 'manager', 'intake'], query: ClientListQuery, responses: { 200: { description: 'A page of clients', schema: ClientPage } } },
    async ({ query }, _req, res) => {
      const afterId = query.cursor ? decodeCursor(query.cursor, z.uuid()) : undefined;
      const rows = await listClients(db.replica, { filter: { name: query.name, phoneDigits: query.phone, legacyIds: query.legacy_id }, afterId, limit: query.limit + 1 });
      res.json(toPage(rows, query.limit, (row) => row.id, presentClient));
    },
  );

  api.add(
    { method: 'get', path: '/api/v1/clients/:id', summary: 'Read a client', tags, access: ['agent', 'manager'], params: ClientRef, responses: { 200: { description: 'The client', schema: ClientSchema, headers: { ETag: 'Version for If-Match' } }, 404: { description: 'No such client' } } },
    async ({ params }, _req, res) => {
      const client = await findClient(db.primary, params.id);
      if (!client) throw NotFound('client', params.id);
      res.set('ETag', etagOf(client)).json(presentClient(client));
    },
  );

  api.add(
    { method: 'post', path: '/api/v1/clients', summary: 'Create a client (with legacy_id: the migrated copy of a legacy record)', tags, access: ['agent'], body: CreateClient, responses: { 201: { description: 'Created', schema: ClientSchema, headers: { Location: 'URL of the client', ETag: 'Version for If-Match' } }, 403: { description: 'legacy_id or created_at without the migrator role' }, 409: { description: 'That legacy record has a copy already' } } },
    async ({ body, user }, _req, res) => {
      if (body.legacy_id !== undefined || body.created_at !== undefined) assertRole(user, ['migrator']);
      const id = body.legacy_id === undefined ? uuidv7() : legacyPublicId('client', body.legacy_id);
      const client = await insertClient(db.primary, { id, name: body.name, phone: body.phone ?? null, email: body.email ?? null, legacy_id: body.legacy_id ?? null, created_at: body.created_at ? new Date(body.created_at) : clock() });
      res.status(201).location(`/api/v1/clients/${client.id}`).set('ETag', etagOf(client)).json(presentClient(client));
    },
  );

  api.add(
    { method: 'patch', path: '/api/v1/clients/:id', summary: 'Change a client (If-Match required)', tags, access: ['agent'], params: ClientRef, headers: IfMatch, body: PatchClient, responses: { 200: { description: 'The changed client', schema: ClientSchema }, 404: { description: 'No such client' }, 412: { description: 'Stale version' }, 428: { description: 'If-Match missing' } } },
    async ({ params, body }, req, res) => {
      const version = requiredVersion(req.get('if-match'));
      const client = await updateClient(db.primary, params.id, version, body, clock());
      if (!client) unchangedBecause('client', params.id, await findClient(db.primary, params.id), version);
      res.set('ETag', etagOf(client)).json(presentClient(client));
    },
  );
}
