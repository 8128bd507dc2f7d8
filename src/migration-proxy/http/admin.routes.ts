import { z } from 'zod';
import type { Db } from '../../platform/db/index.js';
import type { Api } from '../../platform/http/index.js';
import type { Logger } from '../../platform/logging/index.js';
import { backfillState, BackfillRunning, runBackfill, type BackfillDeps, type BackfillRow } from '../migration/backfill.js';
import type { RouteModeEntry, RouteModes, RoutedResource } from '../routing/route-modes.js';
import { RouteModeBody, RouteModeList, RouteModeSchema, RoutedResourceParams } from './edge.schemas.js';

const tags = ['admin'];

const presentMode = (entry: RouteModeEntry) => ({ ...entry, changed_at: entry.changed_at ? entry.changed_at.toISOString() : null });

const BackfillSchema = z
  .object({
    resource: z.enum(['clients', 'orders']),
    state: z.enum(['running', 'finished', 'failed', 'never_run']),
    seen: z.number(),
    total: z.number().nullable(),
    migrated: z.number(),
    failed: z.number(),
    progress: z.number().nullable().describe('seen ÷ total'),
    started_at: z.iso.datetime().nullable(),
    finished_at: z.iso.datetime().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'Backfill' });

const presentBackfill = (resource: RoutedResource, row: BackfillRow | undefined) => ({
  resource,
  state: row?.state ?? 'never_run',
  seen: row?.seen ?? 0,
  total: row?.total ?? null,
  migrated: row?.migrated ?? 0,
  failed: row?.failed ?? 0,
  progress: row?.total ? Math.min(1, row.seen / row.total) : row?.state === 'finished' ? 1 : null,
  started_at: row?.started_at.toISOString() ?? null,
  finished_at: row?.finished_at?.toISOString() ?? null,
  error: row?.error ?? null,
});

/**
 * Admin routes of the edge: route modes per resource and back-fills. A back-fill started here
 * runs inside this proxy; `npm run backfill` runs the same job from a terminal.
 */
export function adminRoutes(api: Api, deps: { db: Db; modes: RouteModes; backfill: Omit<BackfillDeps, 'onProgress'>; logger: Logger }) {
  const running = new Map<RoutedResource, { controller: AbortController; job: Promise<unknown> }>();

  api.add(
    { method: 'get', path: '/api/v1/admin/routes', summary: 'Route mode of each resource', tags, access: ['admin'], responses: { 200: { description: 'The modes', schema: RouteModeList } } },
    (_input, _req, res) => {
      res.json({ data: deps.modes.list().map(presentMode) });
    },
  );

  api.add(
    {
      method: 'put',
      path: '/api/v1/admin/routes/:resource',
      summary: 'Switch a resource between legacy-only, merge and new-only (every proxy follows within ROUTE_MODE_REFRESH_MS)',
      tags,
      access: ['admin'],
      params: RoutedResourceParams,
      body: RouteModeBody,
      responses: { 200: { description: 'The mode now', schema: RouteModeSchema } },
    },
    async ({ params, body, user }, _req, res) => {
      res.json(presentMode(await deps.modes.set(params.resource, body.mode, user.username)));
    },
  );

  api.add(
    { method: 'post', path: '/api/v1/admin/backfills/:resource', summary: 'Start (or resume) migrating every record still only in legacy', tags, access: ['admin'], params: RoutedResourceParams, responses: { 202: { description: 'Started; follow it with GET', schema: BackfillSchema }, 409: { description: 'Running already' } } },
    async ({ params }, _req, res) => {
      if (running.has(params.resource)) throw BackfillRunning(params.resource);
      const controller = new AbortController();
      let started: (row: BackfillRow) => void = () => undefined;
      const firstProgress = new Promise<BackfillRow>((resolve) => {
        started = resolve;
      });
      const job = runBackfill({ ...deps.backfill, onProgress: (row) => started(row) }, params.resource, { signal: controller.signal });
      running.set(params.resource, { controller, job: job.catch(() => undefined) });
      job.catch((error: unknown) => {
        if (!controller.signal.aborted) deps.logger.error({ err: error, resource: params.resource }, 'back-fill stopped');
      }).finally(() => running.delete(params.resource));
      // Answer once the run holds its claim (or could not get it: 409); the work goes on after.
      const row = await Promise.race([firstProgress, job]);
      res.status(202).location(`/api/v1/admin/backfills/${params.resource}`).json(presentBackfill(params.resource, row));
    },
  );

  api.add(
    { method: 'get', path: '/api/v1/admin/backfills/:resource', summary: 'Progress of the back-fill of a resource', tags, access: ['admin'], params: RoutedResourceParams, responses: { 200: { description: 'Progress', schema: BackfillSchema } } },
    async ({ params }, _req, res) => {
      res.json(presentBackfill(params.resource, await backfillState(deps.db, params.resource)));
    },
  );

  return {
    /** Stops back-fills running here and waits for them; their progress is saved, the next run resumes. */
    async stop() {
      const jobs = [...running.values()];
      for (const { controller } of jobs) controller.abort();
      await Promise.allSettled(jobs.map(({ job }) => job));
    },
  };
}
