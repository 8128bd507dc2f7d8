import { phoneDigits } from '../platform/http/index.js';
import type { LegacyKind } from '../platform/ids/legacy-public-id.js';
import type { CachedRecord } from './cache/legacy-cache.js';
import { clientCopy, comparedFields, orderCopy, type LegacyClientView, type LegacyCrm, type LegacyOrderView } from './legacy/legacy-crm.adapter.js';

export type LegacyView = LegacyClientView | LegacyOrderView;

/** What the edge needs to know about one resource that moves from legacy to our services. */
export interface ResourceSpec<View extends LegacyView = LegacyView> {
  kind: LegacyKind;
  /** Plural, as in URLs, route modes and back-fills. */
  plural: 'clients' | 'orders';
  /** Our service's collection path. */
  path: string;
  fetchOne(crm: LegacyCrm, legacyId: number, signal: AbortSignal): Promise<View | undefined>;
  /** The body that creates the migrated copy in our service. */
  copyOf(view: View): object;
  /** Fields compared with the cached copy at migration time (divergence). */
  compared: readonly string[];
  /** Text the cache's name index searches. */
  searchTextOf(view: View): string;
  /** Exact-match groups the cache searches: an order's client, a client's phone digits. */
  tagsOf(view: View): string[];
}

/** The cache's tag of the clients whose phone has these digits: a phone search is exact, as tags are. */
export const phoneTag = (digits: string) => `phone:${digits}`;

export const clientsSpec: ResourceSpec<LegacyClientView> = {
  kind: 'client',
  plural: 'clients',
  path: '/api/v1/clients',
  fetchOne: (crm, legacyId, signal) => crm.getClient(legacyId, signal),
  copyOf: clientCopy,
  compared: comparedFields.client,
  searchTextOf: (client) => client.name,
  tagsOf: (client) => [phoneDigits(client.phone ?? '')].filter(Boolean).map(phoneTag),
};

export const ordersSpec: ResourceSpec<LegacyOrderView> = {
  kind: 'order',
  plural: 'orders',
  path: '/api/v1/orders',
  fetchOne: (crm, legacyId, signal) => crm.getOrder(legacyId, signal),
  copyOf: orderCopy,
  compared: comparedFields.order,
  searchTextOf: (order) => order.number,
  tagsOf: (order) => [`client:${order.client_legacy_id}`],
};

export const specOf = (kind: LegacyKind): ResourceSpec => (kind === 'client' ? clientsSpec : ordersSpec) as ResourceSpec;

/** A legacy record as callers see it: our shape, without what only the proxy needs. */
export function presentLegacy(view: LegacyView): Record<string, unknown> {
  const record: Record<string, unknown> = { ...view };
  delete record.client_legacy_id;
  return record;
}

/** Legacy records as the cache keeps them: searchable by their text and tags. */
export function toCached<View extends LegacyView>(spec: ResourceSpec<View>, views: View[]): CachedRecord[] {
  return views.map((view) => ({ legacyId: view.legacy_id, searchText: spec.searchTextOf(view), tags: spec.tagsOf(view), value: view as unknown as Record<string, unknown> }));
}
