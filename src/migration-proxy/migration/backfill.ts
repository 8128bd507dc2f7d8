import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../platform/db/index.js';
import { HttpProblem } from '../../platform/http/index.js';
import type { Logger } from '../../platform/logging/index.js';
import { LegacyUnavailable, type LegacyGateway } from '../legacy/legacy-gateway.js';
import type { LegacyRange } from '../legacy/legacy-crm.adapter.js';
import type { LegacyView } from '../resources.js';
import type { RoutedResource } from '../routing/route-modes.js';
import type { Migrator } from './migrator.js';

export interface BackfillRow {
  resource: RoutedResource;
  after_legacy_id: number;
  seen: number;
  migrated: number;
  failed: number;
  total: number | null;
  state: 'running' | 'finished' | 'failed';
  owner: string | null;
  heartbeat_at: Date | null;
  started_at: Date;
  finished_at: Date | null;
  error: string | null;
}

export interface BackfillDeps {
  db: Db;
  legacy: LegacyGateway;
  migrator: Migrator;
  logger: Logger;
  /** Records per second at most. */
  rate: number;
  /** A run whose owner sent no heartbeat for this long is taken over. */
  leaseMs?: number;
  /** Called after every record, for progress bars. */
  onProgress?: (row: BackfillRow) => void;
}

const PAGE = 100;
const table = (db: Db) => db.withSchema('migration').table('backfills');
const kindOf = (resource: RoutedResource): 'client' | 'order' => (resource === 'clients' ? 'client' : 'order');

export const BackfillRunning = (resource: RoutedResource) =>
  new HttpProblem(409, 'Back-fill running', `A back-fill of ${resource} is running already; follow it with GET /api/v1/admin/backfills/${resource}`, {
    type: 'https://figdesk.dev/problems/backfill-running',
  });

export async function backfillState(db: Db, resource: RoutedResource): Promise<BackfillRow | undefined> {
  return table(db).where({ resource }).first();
}

/**
 * Claims the back-fill of a resource: a new run, the continuation of one that stopped (killed,
 * failed), or a fresh pass after a finished one (legacy may hold new records by now). Throws
 * 409 while another owner's heartbeat is fresh, unless `takeOver`.
 */
export async function claimBackfill(db: Db, resource: RoutedResource, owner: string, options: { leaseMs: number; takeOver?: boolean }): Promise<BackfillRow> {
  const { rows } = await db.raw<{ rows: BackfillRow[] }>(
    `insert into migration.backfills as b (resource, state, owner, heartbeat_at, started_at)
     values (?, 'running', ?, now(), now())
     on conflict (resource) do update set
       owner = excluded.owner, heartbeat_at = now(), state = 'running', error = null,
       after_legacy_id = case when b.state = 'finished' then 0 else b.after_legacy_id end,
       seen = case when b.state = 'finished' then 0 else b.seen end,
       migrated = case when b.state = 'finished' then 0 else b.migrated end,
       failed = case when b.state = 'finished' then 0 else b.failed end,
       started_at = case when b.state = 'finished' then now() else b.started_at end,
       finished_at = null
     where b.state <> 'running' or ? or b.heartbeat_at < now() - make_interval(secs => ?)
     returning *`,
    [resource, owner, options.takeOver === true, options.leaseMs / 1000],
  );
  if (!rows[0]) throw BackfillRunning(resource);
  return rows[0];
}

/**
 * Migrates every record still only in legacy, in legacy id order, with the migrate function
 * edits use, at most `rate` records a second. Progress is saved after each record, so a run
 * killed at any point resumes where it stopped; a record half-copied by the killed run is
 * finished by the migrate function's claim take-over. Stops early when `signal` aborts.
 */
export async function runBackfill(deps: BackfillDeps, resource: RoutedResource, options: { signal?: AbortSignal; takeOver?: boolean } = {}): Promise<BackfillRow> {
  const owner = randomUUID();
  const leaseMs = deps.leaseMs ?? 30_000;
  const kind = kindOf(resource);
  let row = await claimBackfill(deps.db, resource, owner, { leaseMs, takeOver: options.takeOver });
  const save = async (changes: Partial<BackfillRow>) => {
    const [updated] = await table(deps.db).where({ resource, owner }).update({ ...changes, heartbeat_at: deps.db.fn.now() }).returning('*');
    // Another run took over (this one was presumed dead): stop without touching its progress.
    if (!updated) throw BackfillRunning(resource);
    row = updated as BackfillRow;
    deps.onProgress?.(row);
  };
  const interval = 1000 / deps.rate;
  let nextAt = performance.now();
  deps.logger.info({ resource, resumeAfter: row.after_legacy_id, seen: row.seen }, 'back-fill started');
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const window = { offset: row.seen, count: PAGE };
      const page = await withRetry(deps, () => deps.legacy.call<LegacyRange<LegacyView>>(`backfill_${resource}`, (crm, signal) =>
        resource === 'clients' ? crm.searchClients(window, signal) : crm.searchOrders(window, signal),
      ), options.signal);
      if (row.total !== page.total) await save({ total: page.total });
      for (const record of page.items) {
        options.signal?.throwIfAborted();
        if (record.legacy_id <= row.after_legacy_id) continue;
        let { migrated, failed } = row;
        if (!(await deps.migrator.isMigrated(kind, record.legacy_id))) {
          const wait = nextAt - performance.now();
          if (wait > 0) await sleep(wait, undefined, { signal: options.signal });
          nextAt = Math.max(nextAt + interval, performance.now());
          try {
            await withRetry(deps, () => deps.migrator.migrate(kind, record.legacy_id, 'backfill'), options.signal);
            migrated++;
          } catch (error) {
            // One record legacy cannot give (an order of a vanished customer) must not stop the run.
            if (!(error instanceof HttpProblem) || error.status !== 404) throw error;
            deps.logger.warn({ resource, legacyId: record.legacy_id, err: error }, 'back-fill skipped a record legacy cannot provide');
            failed++;
          }
        }
        await save({ after_legacy_id: record.legacy_id, seen: row.seen + 1, migrated, failed });
      }
      if (page.items.length < PAGE) break;
    }
    await save({ state: 'finished', finished_at: new Date(), owner: null });
    deps.logger.info({ resource, migrated: row.migrated, failed: row.failed }, 'back-fill finished');
    return row;
  } catch (error) {
    if (!options.signal?.aborted) {
      await table(deps.db).where({ resource, owner }).update({ state: 'failed', error: (error as Error).message.slice(0, 1000) }).catch(() => undefined);
      deps.logger.error({ err: error, resource }, 'back-fill failed; run it again to resume');
    }
    throw error;
  }
}

/** Legacy down or a record being copied by another proxy: wait and try again, a back-fill has time. */
async function withRetry<T>(deps: BackfillDeps, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const transient = error instanceof LegacyUnavailable || (error instanceof HttpProblem && error.status === 503);
      if (!transient || attempt >= 60) throw error;
      deps.logger.warn({ err: error, attempt }, 'back-fill waits for legacy');
      await sleep(Math.min(250 * 2 ** attempt, 5_000), undefined, { signal });
    }
  }
}
