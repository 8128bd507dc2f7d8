import { Router, type Request, type RequestHandler } from 'express';
import { requireRole, type Verify } from '../../platform/auth/index.js';
import { NotFound, PreconditionFailed } from '../../platform/http/index.js';
import { legacyIdOf, type LegacyKind } from '../../platform/ids/legacy-public-id.js';
import type { ResilientCache } from '../cache/resilient-cache.js';
import { LegacyUnavailable, type LegacyGateway } from '../legacy/legacy-gateway.js';
import type { Migrator } from '../migration/migrator.js';
import { clientsSpec, ordersSpec, presentLegacy, specOf, toCached, type LegacyView, type ResourceSpec } from '../resources.js';
import type { RouteModes } from '../routing/route-modes.js';
import { forwardedFrom, UpstreamFailed, type ServiceClient } from '../upstream/service-client.js';
import { LegacyFailed, MigrationRefused, ReadOnlyInLegacyOnly } from './edge-problems.js';

export interface RecordDeps {
  verify: Verify;
  modes: RouteModes;
  legacy: LegacyGateway;
  cache: ResilientCache;
  migrator: Migrator;
  services: Record<LegacyKind, ServiceClient>;
  /** Streams a request to our service for this kind of record. */
  streamTo: Record<LegacyKind, RequestHandler>;
}

/**
 * A legacy record's ETag names legacy's last change, so an edit made on an old read is refused
 * (412) when legacy changed the record meanwhile, as our own versions do for our records.
 */
const LEGACY_ETAG = /^"legacy-(\d{1,15})"$/;
const legacyEtag = (view: LegacyView) => `"legacy-${Date.parse(view.updated_at)}"`;

/** One client or order by id: read from wherever it lives, created here, edited after migrating. */
export function recordRoutes(deps: RecordDeps): Router {
  const { cache, legacy } = deps;
  const router = Router();

  /**
   * The caller read the record from legacy: its If-Match names legacy's last change. The copy
   * (just made, or made earlier) stands for that version only while it is still at version 1
   * with legacy's time; then the edit goes on with If-Match "1". Otherwise the record changed
   * since the caller read it, in legacy before the copy or here after it: 412, as for any stale edit.
   */
  async function translateLegacyEtag(kind: LegacyKind, id: string, legacyTime: number, req: Request): Promise<void> {
    const caller = forwardedFrom(req);
    const copy = await deps.services[kind].call<{ version: number; updated_at: string }>('GET', `${specOf(kind).path}/${id}`, caller.authorization, { requestId: caller.requestId });
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
          if (error instanceof UpstreamFailed) throw MigrationRefused(plural, kind, legacyId);
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
