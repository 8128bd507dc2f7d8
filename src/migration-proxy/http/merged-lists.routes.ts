import type { Request, Response } from 'express';
import { LRUCache } from 'lru-cache';
import type { Db } from '../../platform/db/index.js';
import { decodeCursor, encodeCursor, type Api } from '../../platform/http/index.js';
import { legacyIdOf, type LegacyKind } from '../../platform/ids/legacy-public-id.js';
import type { ResilientCache } from '../cache/resilient-cache.js';
import type { LegacyOrderView, LegacyRange } from '../legacy/legacy-crm.adapter.js';
import type { LegacyGateway } from '../legacy/legacy-gateway.js';
import { MIGRATION_MARGIN_MS, mergedPage, type MergedItem, type MergeSources } from '../merge/merged-page.js';
import { migratedAmong, migratedFrom } from '../migration/ledger.js';
import { clientsSpec, ordersSpec, phoneTag, presentLegacy, specOf, toCached, type LegacyView, type ResourceSpec } from '../resources.js';
import type { RouteModes } from '../routing/route-modes.js';
import { forwardedFrom, type ServiceClient } from '../upstream/service-client.js';
import { withUpstreamProblems } from './edge-problems.js';
import { MergeCursorSchema, MergedClientPage, MergedClientQuery, MergedOrderPage, MergedOrderQuery } from './edge.schemas.js';
import { SourceTimings } from './server-timing.js';

/** How many migrated ids after the cursor are fetched ahead, beside the call to legacy. */
const LEDGER_AHEAD = 500;
/**
 * How long one look-ahead answer serves every merged list asking from the same position (all
 * first pages do, whatever they search for). A quarter of the merge's margin: a record migrated
 * after the answer was read is within the margin either way, so its legacy version shows as it
 * would with a fresh answer (merge/merged-page.ts), and pages come out the same. The rest of the
 * margin still covers the clocks and the time a migration takes to commit.
 */
const LEDGER_AHEAD_REUSE_MS = MIGRATION_MARGIN_MS / 4;
/** Answers kept for this many positions at most (the least recently asked go first). */
const LEDGER_AHEAD_POSITIONS = 256;

export interface MergedListDeps {
  api: Api;
  db: Db;
  modes: RouteModes;
  legacy: LegacyGateway;
  cache: ResilientCache;
  services: Record<LegacyKind, ServiceClient>;
  /** Legacy's deadline: the cache is asked a little before it passes. */
  legacyTimeoutMs: number;
}

type Ours = { id: string; legacy_id: number | null };

/** `GET /api/v1/clients` and `/api/v1/orders`: ours and legacy's, merged in one order (merge/merged-page.ts). */
export function mergedListRoutes(deps: MergedListDeps): void {
  const { api, cache, legacy } = deps;

  /**
   * The first migrated ids after a position, asked once per LEDGER_AHEAD_REUSE_MS and shared
   * while the question is in flight too. (lru-cache times entries by the monotonic clock, so a
   * wall clock set back cannot keep an old answer in use.)
   */
  const aheadAnswers = new LRUCache<string, ReturnType<typeof migratedFrom>>({ max: LEDGER_AHEAD_POSITIONS, ttl: LEDGER_AHEAD_REUSE_MS });
  function migratedAhead(kind: LegacyKind, afterLegacyId: number): ReturnType<typeof migratedFrom> {
    const key = `${kind}:${afterLegacyId}`;
    const known = aheadAnswers.get(key);
    if (known) return known;
    const rows = migratedFrom(deps.db, kind, afterLegacyId, LEDGER_AHEAD);
    aheadAnswers.set(key, rows);
    // A failed answer is not reused: the next list asks again.
    rows.catch(() => aheadAnswers.peek(key) === rows && aheadAnswers.delete(key));
    return rows;
  }

  /**
   * Which legacy ids migrated. The ledger is asked at once, in parallel with legacy, for the
   * migrated ids just after the cursor; when legacy's answer falls inside what that returned, no
   * second question waits on legacy's answer. Otherwise (a dense ledger, a later round) it is
   * asked for exactly the ids legacy returned.
   */
  function migratedLookup(kind: LegacyKind, afterId: string | null) {
    const afterLegacyId = afterId === null ? 0 : legacyIdOf(kind, afterId);
    const ahead = afterLegacyId === undefined ? undefined : migratedAhead(kind, afterLegacyId);
    ahead?.catch(() => undefined);
    let first = true;
    return async (ids: number[]): Promise<Map<number, Date>> => {
      const useAhead = first && ahead !== undefined;
      first = false;
      if (useAhead && ids.length > 0) {
        const rows = await ahead;
        const last = rows[rows.length - 1]?.legacy_id ?? 0;
        if (rows.length < LEDGER_AHEAD || last >= Math.max(...ids)) {
          const wanted = new Set(ids);
          return new Map(rows.filter((row) => wanted.has(row.legacy_id)).map((row) => [row.legacy_id, row.migrated_at]));
        }
      }
      return migratedAmong(deps.db, kind, ids);
    };
  }

  /** The parts every merged list shares: mode, ledger, cache fallback, and the answer's shape. */
  async function answerMerged<View extends LegacyView>(
    spec: ResourceSpec<View>,
    req: Request,
    query: { cursor?: string; limit: number },
    sources: Pick<MergeSources<Ours, View>, 'ours' | 'legacy' | 'keep'> & { cacheQuery: { text?: string; tag?: string } },
  ) {
    const mode = deps.modes.modeOf(spec.plural);
    const start = query.cursor ? decodeCursor(query.cursor, MergeCursorSchema) : { a: null, o: 0 };
    const timings = new SourceTimings();
    const page = await withUpstreamProblems(spec.plural, () =>
      mergedPage<Ours, View>(
        {
          ours: timings.timed(spec.plural, mode === 'legacy-only' ? undefined : sources.ours),
          legacy: timings.timed('legacy', mode === 'new-only' ? undefined : sources.legacy),
          migrated: timings.timed('ledger', mode === 'merge' ? migratedLookup(spec.kind, start.a) : undefined),
          keep: sources.keep,
          cachedAfterMs: Math.max(0, deps.legacyTimeoutMs - 50),
          cached: timings.timed('cache', async (afterId: string | null, count: number) => {
            const afterLegacyId = afterId === null ? undefined : legacyIdOf(spec.kind, afterId);
            // After a native id there is nothing legacy-born left to show.
            if (afterId !== null && afterLegacyId === undefined) return [];
            const found = await cache.search(spec.kind, { ...sources.cacheQuery, afterLegacyId, limit: count });
            return found?.map((record) => record.value as unknown as View);
          }),
        },
        { afterId: start.a, legacyOffset: start.o },
        query.limit,
      ),
    );
    const fresh = page.items.flatMap((item) => (item.source === 'legacy' && !item.stale ? [item.record] : []));
    return {
      /** Caches what legacy answered; called after the answer went out, so callers do not wait for it. */
      remember: () => cache.putMany(spec.kind, toCached(spec, fresh)),
      timing: timings.header(),
      body: {
        data: page.items.map((item: MergedItem<Ours, View>) =>
          item.source === 'new' ? { ...item.record, source: 'new' } : { ...presentLegacy(item.record), source: 'legacy', ...(item.stale ? { stale: true } : {}) },
        ),
        page: { next_cursor: page.next ? encodeCursor({ a: page.next.afterId, o: page.next.legacyOffset }) : null, has_more: page.next !== null },
        meta: { sources: { [spec.plural]: page.sources.ours, legacy: page.sources.legacy } },
      },
    };
  }

  /**
   * The answer, with how long each source took; then legacy's records go to the cache, once the
   * answers that arrived at the same moment have gone out too (searches often come in bursts).
   */
  function send(res: Response, answer: Awaited<ReturnType<typeof answerMerged>>): void {
    if (answer.timing) res.set('Server-Timing', answer.timing);
    res.json(answer.body);
    setImmediate(() => void answer.remember());
  }

  const ours = (kind: LegacyKind, req: Request, filter: Record<string, string | undefined>) => async (afterId: string | null, count: number) => {
    const caller = forwardedFrom(req);
    const page = await deps.services[kind].listAfter<Ours>(specOf(kind).path, filter, afterId, count, caller.authorization, caller.requestId);
    return { records: page.data, more: page.page.has_more };
  };
  /** A legacy range as a slice: more follow while legacy counts more than were read. */
  const slice = <T>(offset: number, range: LegacyRange<T> | undefined) => ({ records: range?.items ?? [], more: range ? offset + range.items.length < range.total : false });

  api.add(
    { method: 'get', path: '/api/v1/clients', summary: 'List or search clients by name or phone: ours and the legacy CRM\'s, merged', tags: ['clients'], access: ['agent', 'manager', 'intake'], query: MergedClientQuery, responses: { 200: { description: 'A page of the union, in one stable order', schema: MergedClientPage } } },
    async ({ query }, req, res) => {
      const answer = await answerMerged(clientsSpec, req, query, {
        ours: ours('client', req, { name: query.name, phone: query.phone }),
        legacy: (offset, count) => legacy.call('search_clients', async (crm, signal) => slice(offset, await crm.searchClients({ text: query.name, phoneDigits: query.phone, offset, count }, signal))),
        // The cache tags legacy clients with their phone's digits (resources.ts).
        cacheQuery: { text: query.name, tag: query.phone === undefined ? undefined : phoneTag(query.phone) },
      });
      send(res, answer);
    },
  );

  api.add(
    { method: 'get', path: '/api/v1/orders', summary: 'List or search orders by number or client: ours and the legacy CRM\'s, merged', tags: ['orders'], access: ['agent', 'manager'], query: MergedOrderQuery, responses: { 200: { description: 'A page of the union, in one stable order', schema: MergedOrderPage } } },
    async ({ query }, req, res) => {
      const clientLegacyId = query.client_id === undefined ? undefined : legacyIdOf('client', query.client_id);
      const matches = (order: LegacyOrderView) => (!query.q || order.number.toLowerCase().includes(query.q.toLowerCase())) && (!query.number || order.number === query.number);
      const fromLegacy: MergeSources<Ours, LegacyOrderView>['legacy'] =
        query.client_id === undefined
          ? (offset, count) => legacy.call('search_orders', async (crm, signal) => slice(offset, await crm.searchOrders({ text: query.q, number: query.number, offset, count }, signal)))
          : clientLegacyId === undefined
            ? undefined // a client created here has no orders in legacy
            : (offset, count) => legacy.call('client_orders', async (crm, signal) => slice(offset, await crm.ordersOfClient(clientLegacyId, { offset, count }, signal)));
      const answer = await answerMerged(ordersSpec, req, query, {
        ours: ours('order', req, { q: query.q, number: query.number, client_id: query.client_id }),
        legacy: fromLegacy,
        // Legacy's own search covers number and q, its list of a client's orders does not; the
        // cache's search covers q only. One filter makes all three agree.
        keep: matches,
        cacheQuery: { text: query.q, tag: clientLegacyId === undefined ? undefined : `client:${clientLegacyId}` },
      });
      send(res, answer);
    },
  );
}
