import type { Db } from '../../platform/db/index.js';

export type Resource = 'client' | 'order';
export type How = 'lazy' | 'backfill';

export interface LedgerRow {
  resource: Resource;
  legacy_id: number;
  new_id: string;
  state: 'copying' | 'migrated';
  how: How;
  claim: string | null;
  claimed_at: Date;
  migrated_at: Date | null;
  divergent_fields: string[];
}

const ledger = (db: Db) => db.withSchema('migration').table('ledger');

/**
 * Claims the right to copy one legacy record: inserts the ledger row as `copying`, or takes
 * over a claim whose holder has not finished within `leaseMs` (it crashed or was killed).
 * Returns whether `claim` now holds it, and the row as it is.
 */
export async function claimCopy(db: Db, row: { resource: Resource; legacyId: number; newId: string; how: How; claim: string; leaseMs: number }): Promise<{ owned: boolean; row: LedgerRow | undefined }> {
  const { rows } = await db.raw<{ rows: LedgerRow[] }>(
    `insert into migration.ledger (resource, legacy_id, new_id, state, how, claim, claimed_at)
     values (?, ?, ?, 'copying', ?, ?, now())
     on conflict (resource, legacy_id) do update set claim = excluded.claim, claimed_at = excluded.claimed_at, how = excluded.how
       where ledger.state = 'copying' and ledger.claimed_at < now() - make_interval(secs => ?)
     returning *`,
    [row.resource, row.legacyId, row.newId, row.how, row.claim, row.leaseMs / 1000],
  );
  if (rows[0]) return { owned: true, row: rows[0] };
  return { owned: false, row: await findEntry(db, row.resource, row.legacyId) };
}

export async function findEntry(db: Db, resource: Resource, legacyId: number): Promise<LedgerRow | undefined> {
  return ledger(db).where({ resource, legacy_id: legacyId }).first();
}

/** Marks a claimed copy as done; false when the claim was taken over meanwhile (the other holder finishes it). */
export async function completeCopy(db: Db, key: { resource: Resource; legacyId: number; claim: string }, divergentFields: string[]): Promise<boolean> {
  const changed = await ledger(db)
    .where({ resource: key.resource, legacy_id: key.legacyId, claim: key.claim, state: 'copying' })
    .update({ state: 'migrated', migrated_at: db.fn.now(), divergent_fields: divergentFields });
  return changed === 1;
}

/**
 * Records a copy known to exist whatever became of this claim (it expired and the taker gave up,
 * say): the ledger must not miss a record our service holds. True when this call recorded it.
 */
export async function recordMigrated(db: Db, row: { resource: Resource; legacyId: number; newId: string; how: How }, divergentFields: string[]): Promise<boolean> {
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `insert into migration.ledger (resource, legacy_id, new_id, state, how, claimed_at, migrated_at, divergent_fields)
     values (?, ?, ?, 'migrated', ?, now(), now(), ?)
     on conflict (resource, legacy_id) do update set state = 'migrated', migrated_at = now(), claim = null, divergent_fields = excluded.divergent_fields
       where ledger.state = 'copying'
     returning legacy_id`,
    [row.resource, row.legacyId, row.newId, row.how, divergentFields],
  );
  return rows.length === 1;
}

/** Gives a claim back after a failed copy, so the next edit tries again at once. */
export async function releaseCopy(db: Db, key: { resource: Resource; legacyId: number; claim: string }): Promise<void> {
  await ledger(db).where({ resource: key.resource, legacy_id: key.legacyId, claim: key.claim, state: 'copying' }).delete();
}

/** Of these legacy ids, those migrated, with when. */
export async function migratedAmong(db: Db, resource: Resource, legacyIds: number[]): Promise<Map<number, Date>> {
  if (legacyIds.length === 0) return new Map();
  const rows: { legacy_id: number; migrated_at: Date }[] = await ledger(db)
    .select('legacy_id', 'migrated_at')
    .where({ resource, state: 'migrated' })
    .whereIn('legacy_id', legacyIds);
  return new Map(rows.map((row) => [row.legacy_id, row.migrated_at]));
}

/** The first `limit` migrated legacy ids after `afterLegacyId`, in order, with when. */
export async function migratedFrom(db: Db, resource: Resource, afterLegacyId: number, limit: number): Promise<{ legacy_id: number; migrated_at: Date }[]> {
  return ledger(db).select('legacy_id', 'migrated_at').where({ resource, state: 'migrated' }).where('legacy_id', '>', afterLegacyId).orderBy('legacy_id').limit(limit);
}

/** Migrated records per resource and how, for the progress gauge. */
export async function migratedCounts(db: Db): Promise<{ resource: Resource; how: How; count: number }[]> {
  return ledger(db).select('resource', 'how').count<{ resource: Resource; how: How; count: number }[]>({ count: '*' }).where({ state: 'migrated' }).groupBy('resource', 'how');
}
