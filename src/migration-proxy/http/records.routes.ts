import { Router, type Request, type RequestHandler } from 'express';
import { requireRole, type Verify } from '../../platform/auth/index.js';
import { decodeCursor, encodeCursor, HttpProblem, NotFound, PreconditionFailed, type Api } from '../../platform/http/index.js';
import { legacyIdOf, type LegacyKind } from '../../platform/ids/legacy-public-id.js';
import type { CachedRecord } from '../cache/legacy-cache.js';
import type { ResilientCache } from '../cache/resilient-cache.js';
import type { LegacyOrderView, LegacyRange } from '../legacy/legacy-crm.adapter.js';
import { LegacyUnavailable, type LegacyGateway } from '../legacy/legacy-gateway.js';
import { mergedPage, type MergedItem, type MergeSources } from '../merge/merged-page.js';
import { migratedAmong, migratedFrom } from '../migration/ledger.js';
import type { Migrator } from '../migration/migrator.js';
import { clientsSpec, ordersSpec, specOf, type LegacyView, type ResourceSpec } from '../resources.js';
import type { RouteModes } from '../routing/route-modes.js';
import { UpstreamFailed, type ServiceClient } from '../upstream/service-client.js';
import type { Db } from '../../platform/db/index.js';
import { MergeCursorSchema, MergedClientPage, MergedClientQuery, MergedOrderPage, MergedOrderQuery } from './edge.schemas.js';

/** How many migrated ids after the cursor are fetched ahead, beside the call to legacy. */
const LEDGER_AHEAD = 500;

export interface EdgeDeps {
  /** Legacy's deadline: the cache is asked a little before it passes. */
  legacyTimeoutMs: number;
  api: Api;
  verify: Verify;
  db: Db;
  modes: RouteModes;
  legacy: LegacyGateway;
  cache: ResilientCache;
  migrator: Migrator;
  services: Record<LegacyKind, ServiceClient>;
  /** Streams a request to our service for this kind of record. */
  streamTo: Record<LegacyKind, RequestHandler>;
}

type Ours = { id: string; legacy_id: number | null };

/** A legacy record as callers see it: our shape, without what only the proxy needs. */
function presentLegacy(view: LegacyView): Record<string, unknown> {
  const record: Record<string, unknown> = { ...view };
  delete record.client_legacy_id;
  return record;
}

const LegacyFailed = (kind: LegacyKind, error: LegacyUnavailable) =>
  error.outcome === 'timeout'
    ? new HttpProblem(504, 'Legacy CRM timeout', `The legacy CRM did not answer in time for this ${kind}, and it is not cached`, { type: 'https://figdesk.dev/problems/legacy-unavailable', headers: { 'Retry-After': '5' } })
    : new HttpProblem(503, 'Legacy CRM unavailable', `The legacy CRM cannot serve this ${kind} now (${error.outcome}), and it is not cached`, { type: 'https://figdesk.dev/problems/legacy-unavailable', headers: { 'Retry-After': '5' } });

const ReadOnlyInLegacyOnly = (plural: string) =>
  new HttpProblem(409, 'Read-only in legacy-only mode', `${plural} are served by the legacy CRM alone (route mode legacy-only), which we cannot write to; an admin can switch the mode back to merge`, {
    type: 'https://figdesk.dev/problems/route-mode',
  });

const UpstreamProblem = (service: string) =>
  new HttpProblem(502, 'Bad gateway', `The ${service} service did not answer as it should; the list cannot be merged without it`, { type: 'https://figdesk.dev/problems/upstream' });

/** Our service failing a merge route is a 502: legacy alone cannot say which records migrated. */
async function withUpstreamProblems<T>(service: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UpstreamFailed) throw UpstreamProblem(service);
    throw error;
  }
}

/**
 * A legacy record's ETag names legacy's last change, so an edit made on an old read is refused
 * (412) when legacy changed the record meanwhile, as our own versions do for our records.
 */
const LEGACY_ETAG = /^"legacy-(\d{1,15})"$/;
const legacyEtag = (view: LegacyView) => `"legacy-${Date.parse(view.updated_at)}"`;

const bearerOf = (req: Request) => req.headers.authorization ?? '';
const requestIdOf = (req: Request) => (req.id === undefined ? undefined : String(req.id));

/** The edge's clients and orders routes: merged lists, reads and writes that migrate on the way. */
export function recordRoutes(deps: EdgeDeps): Router {
  const { api, cache, legacy } = deps;
  const router = Router();

  function toCached<View extends LegacyView>(spec: ResourceSpec<View>, views: View[]): CachedRecord[] {
    return views.map((view) => ({ legacyId: view.legacy_id, searchText: spec.searchTextOf(view), tags: spec.tagsOf(view), value: view as unknown as Record<string, unknown> }));
  }

  /**
   * The caller read the record from legacy: its If-Match names legacy's last change. The copy
   * (just made, or made earlier) stands for that version only while it is still at version 1
   * with legacy's time; then the edit goes on with If-Match "1". Otherwise the record changed
   * since the caller read it, in legacy before the copy or here after it: 412, as for any stale edit.
   */
  async function translateLegacyEtag(kind: LegacyKind, id: string, legacyTime: number, req: Request): Promise<void> {
    const copy = await deps.services[kind].call<{ version: number; updated_at: string }>('GET', `${specOf(kind).path}/${id}`, bearerOf(req), { requestId: requestIdOf(req) });
    if (copy.status !== 200) return; // our service answers the edit itself (404)
    if (copy.body.version !== 1 || Date.parse(copy.body.updated_at) !== legacyTime) {
      throw PreconditionFailed(`The ${kind} changed since you read it from the legacy CRM; read it again`);
    }
    req.headers['if-match'] = '"1"';
  }

  /** Legacy's record, from the cache or else from legacy (then cached). Undefined: legacy has none. */
  async function legacyRecord(kind: LegacyKind, legacyId: number): Promise<LegacyView | undefined> {
    const cached = (await cache.getMany(kind, [legacyId])).get(legacyId);
    if (cached) return cached.value as unknown as LegacyView;
    const spec = specOf(kind);
    try {
      const view = await legacy.call(`get_${kind}`, (crm, signal) => spec.fetchOne(crm, legacyId, signal));
      // Not awaited: the answer does not wait for the cache (which reports its own failures).
      if (view) void cache.putMany(kind, toCached(spec, [view]));
      return view;
    } catch (error) {
      if (error instanceof LegacyUnavailable) throw LegacyFailed(kind, error);
      throw error;
    }
  }

  /**
   * Which legacy ids migrated. The ledger is asked at once, in parallel with legacy, for the
   * migrated ids just after the cursor; when legacy's answer falls inside what that returned, no
   * second question waits on legacy's answer. Otherwise (a dense ledger, a later round) it is
   * asked for exactly the ids legacy returned.
   */
  function migratedLookup(kind: LegacyKind, afterId: string | null) {
    const afterLegacyId = afterId === null ? 0 : legacyIdOf(kind, afterId);
    const ahead = afterLegacyId === undefined ? undefined : migratedFrom(deps.db, kind, afterLegacyId, LEDGER_AHEAD);
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
    const page = await withUpstreamProblems(spec.plural, () => mergedPage<Ours, View>(
      {
        ours: mode === 'legacy-only' ? undefined : sources.ours,
        legacy: mode === 'new-only' ? undefined : sources.legacy,
        migrated: mode === 'merge' ? migratedLookup(spec.kind, start.a) : undefined,
        keep: sources.keep,
        cachedAfterMs: Math.max(0, deps.legacyTimeoutMs - 50),
        cached: async (afterId, count) => {
          const afterLegacyId = afterId === null ? undefined : legacyIdOf(spec.kind, afterId);
          // After a native id there is nothing legacy-born left to show.
          if (afterId !== null && afterLegacyId === undefined) return [];
          const found = await cache.search(spec.kind, { ...sources.cacheQuery, afterLegacyId, limit: count });
          return found?.map((record) => record.value as unknown as View);
        },
      },
      { afterId: start.a, legacyOffset: start.o },
      query.limit,
    ));
    const fresh = page.items.flatMap((item) => (item.source === 'legacy' && !item.stale ? [item.record] : []));
    return {
      /** Caches what legacy answered; called after the answer went out, so callers do not wait for it. */
      remember: () => cache.putMany(spec.kind, toCached(spec, fresh)),
      body: {
      data: page.items.map((item: MergedItem<Ours, View>) =>
        item.source === 'new' ? { ...item.record, source: 'new' } : { ...presentLegacy(item.record), source: 'legacy', ...(item.stale ? { stale: true } : {}) },
      ),
      page: { next_cursor: page.next ? encodeCursor({ a: page.next.afterId, o: page.next.legacyOffset }) : null, has_more: page.next !== null },
      meta: { sources: { [spec.plural]: page.sources.ours, legacy: page.sources.legacy } },
      },
    };
  }

  const ours = (kind: LegacyKind, req: Request, filter: Record<string, string | undefined>) => async (afterId: string | null, count: number) => {
    const page = await deps.services[kind].listAfter<Ours>(specOf(kind).path, filter, afterId, count, bearerOf(req), requestIdOf(req));
    return { records: page.data, more: page.page.has_more };
  };
  /** A legacy range as a slice: more follow while legacy counts more than were read. */
  const slice = <T>(offset: number, range: LegacyRange<T> | undefined) => ({ records: range?.items ?? [], more: range ? offset + range.items.length < range.total : false });

  api.add(
    { method: 'get', path: '/api/v1/clients', summary: 'List or search clients: ours and the legacy CRM\'s, merged', tags: ['clients'], access: ['agent', 'manager'], query: MergedClientQuery, responses: { 200: { description: 'A page of the union, in one stable order', schema: MergedClientPage } } },
    async ({ query }, req, res) => {
      const answer = await answerMerged(clientsSpec, req, query, {
        ours: ours('client', req, { name: query.name }),
        legacy: (offset, count) => legacy.call('search_clients', async (crm, signal) => slice(offset, await crm.searchClients({ text: query.name, offset, count }, signal))),
        cacheQuery: { text: query.name },
      });
      res.json(answer.body);
      await answer.remember();
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
      res.json(answer.body);
      await answer.remember();
    },
  );

  for (const spec of [clientsSpec, ordersSpec] as ResourceSpec[]) {
    const { kind, plural, path } = spec;
    const stream = deps.streamTo[kind];
    const readers = requireRole(deps.verify, 'agent', 'manager');
    const writers = requireRole(deps.verify, 'agent');
    const label = (template: string): RequestHandler => (_req, res, next) => {
      res.locals.routeLabel = template;
      next();
    };

    router.get(`${path}/:id`, label(`${path}/:id`), ...readers, async (req, res, next) => {
      const id = String(req.params.id);
      const legacyId = legacyIdOf(kind, id);
      const mode = deps.modes.modeOf(plural);
      if (legacyId === undefined || mode === 'new-only' || (mode === 'merge' && (await deps.migrator.isMigrated(kind, legacyId)))) return stream(req, res, next);
      const view = await legacyRecord(kind, legacyId);
      if (!view) throw NotFound(kind, id);
      res.set('ETag', legacyEtag(view)).set('X-Figdesk-Source', 'legacy').json(presentLegacy(view));
    });

    router.post(path, label(path), ...writers, (req, res, next) => {
      if (deps.modes.modeOf(plural) === 'legacy-only') throw ReadOnlyInLegacyOnly(plural);
      stream(req, res, next);
    });

    router.patch(`${path}/:id`, label(`${path}/:id`), ...writers, async (req, res, next) => {
      const mode = deps.modes.modeOf(plural);
      if (mode === 'legacy-only') throw ReadOnlyInLegacyOnly(plural);
      const legacyId = legacyIdOf(kind, String(req.params.id));
      // The body stays unread in the socket while the record migrates, then streams to our service.
      if (legacyId !== undefined && mode === 'merge') {
        try {
          await deps.migrator.migrate(kind, legacyId, 'lazy');
        } catch (error) {
          if (error instanceof LegacyUnavailable) throw LegacyFailed(kind, error);
          if (error instanceof UpstreamFailed) throw new HttpProblem(502, 'Bad gateway', `Our ${plural} service did not take the copy of legacy ${kind} ${legacyId}; nothing was changed`, { type: 'https://figdesk.dev/problems/migration-failed' });
          throw error;
        }
      }
      const tag = LEGACY_ETAG.exec(req.headers['if-match'] ?? '');
      if (tag && legacyId !== undefined) await translateLegacyEtag(kind, String(req.params.id), Number(tag[1]), req);
      stream(req, res, next);
    });
  }
  return router;
}
