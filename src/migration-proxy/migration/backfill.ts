import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../platform/db/index.js';
import { HttpProblem } from '../../platform/http/index.js';
import type { Logger } from '../../platform/logging/index.js';
import { LegacyUnavailable, type LegacyGateway } from '../legacy/legacy-gateway.js';
import type { LegacyRange } from '../legacy/legacy-crm.adapter.js';
import type { LegacyView } from '../resources.js';
import type { RoutedResource } from '../routing/route-modes.js';
import { UpstreamFailed } from '../upstream/service-client.js';
import { migratedAmong } from './ledger.js';
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
const OVERLAP = 20;
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
  deps.onProgress?.(row);
  const save = async (changes: Partial<BackfillRow>) => {
    const [updated] = await table(deps.db).where({ resource, owner }).update({ ...changes, heartbeat_at: deps.db.fn.now() }).returning('*');
    // Another run took over (this one was presumed dead): stop without touching its progress.
    if (!updated) throw BackfillRunning(resource);
    row = updated as BackfillRow;
    deps.onProgress?.(row);
  };
  const retry = <T>(run: () => Promise<T>) => withRetry(deps, run, () => save({}), options.signal);
  const interval = 1000 / deps.rate;
  let nextAt = performance.now();
  // Legacy pages by position only. Reading again a little before where the last run stopped,
  // and skipping what it finished (by legacy id), survives records deleted from legacy meanwhile.
  // Whole pages: a window across two of legacy's pages would cost two requests.
  let offset = Math.floor(Math.max(0, row.seen - OVERLAP) / PAGE) * PAGE;
  deps.logger.info({ resource, resumeAfter: row.after_legacy_id, seen: row.seen }, 'back-fill started');
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const window = { offset, count: PAGE };
      const page = await retry(() => deps.legacy.call<LegacyRange<LegacyView>>(`backfill_${resource}`, (crm, signal) =>
        resource === 'clients' ? crm.searchClients(window, signal) : crm.searchOrders(window, signal),
      ));
      offset += page.items.length;
      if (row.total !== page.total) await save({ total: page.total });
      // One ledger question per page; a record migrated by an edit meanwhile is found by migrate().
      const migratedBefore = await migratedAmong(deps.db, kind, page.items.map((record) => record.legacy_id));
      for (const record of page.items) {
        options.signal?.throwIfAborted();
        if (record.legacy_id <= row.after_legacy_id) continue;
        let { migrated, failed } = row;
        if (!migratedBefore.has(record.legacy_id)) {
          const wait = nextAt - performance.now();
          if (wait > 0) await sleep(wait, undefined, { signal: options.signal });
          nextAt = Math.max(nextAt + interval, performance.now());
          try {
            const done = await retry(() => deps.migrator.migrate(kind, record.legacy_id, 'backfill'));
            await failures(deps.db).where({ resource: kind, legacy_id: record.legacy_id }).delete();
            if (done.copiedNow) migrated++;
          } catch (error) {
            // One record that cannot move (legacy lost it, or our service refuses its data) must
            // not stop the run: it is written down for the operator, and the next run retries it.
            const reason = refusalOf(error);
            if (!reason) throw error;
            deps.logger.warn({ resource, legacyId: record.legacy_id, reason }, 'back-fill could not migrate a record');
            await failures(deps.db).insert({ resource: kind, legacy_id: record.legacy_id, reason, failed_at: new Date() }).onConflict(['resource', 'legacy_id']).merge();
            failed++;
          }
        }
        await save({ after_legacy_id: record.legacy_id, seen: row.seen + 1, migrated, failed });
      }
      if (page.items.length < PAGE || offset >= page.total) break;
    }
    await save({ state: 'finished', finished_at: new Date(), owner: null });
    deps.logger.info({ resource, migrated: row.migrated, failed: row.failed }, 'back-fill finished');
    return row;
  } catch (error) {
    // Stopped on purpose, it gives its claim up so the next start need not wait out the lease.
    const stopped = options.signal?.aborted === true;
    await table(deps.db)
      .where({ resource, owner })
      .update({ state: 'failed', owner: null, error: stopped ? 'stopped before the end; start it again to resume' : (error as Error).message.slice(0, 1000) })
      .catch(() => undefined);
    if (!stopped) deps.logger.error({ err: error, resource }, 'back-fill failed; run it again to resume');
    throw error;
  }
}

const failures = (db: Db) => db.withSchema('migration').table('backfill_failures');

/** Why a record cannot move, when that is the record's problem rather than a passing fault. */
function refusalOf(error: unknown): string | undefined {
  if (error instanceof HttpProblem && error.status === 404) return error.detail ?? 'legacy has no such record';
  if (error instanceof UpstreamFailed && error.status !== undefined && error.status >= 400 && error.status < 500) return error.message;
  return undefined;
}

/** Legacy down, our service failing or a record copied by another proxy: wait and try again, a back-fill has time. */
async function withRetry<T>(deps: BackfillDeps, run: () => Promise<T>, heartbeat: () => Promise<void>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const transient =
        error instanceof LegacyUnavailable ||
        (error instanceof HttpProblem && error.status === 503) ||
        (error instanceof UpstreamFailed && (error.status === undefined || error.status >= 500));
      if (!transient || attempt >= 60) throw error;
      deps.logger.warn({ err: error, attempt }, 'back-fill waits before trying again');
      await heartbeat();
      await sleep(Math.min(250 * 2 ** attempt, 5_000), undefined, { signal });
    }
  }
}
