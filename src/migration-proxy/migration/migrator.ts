import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import type { Db } from '../../platform/db/index.js';
import { HttpProblem } from '../../platform/http/index.js';
import { legacyPublicId, type LegacyKind } from '../../platform/ids/legacy-public-id.js';
import type { Logger } from '../../platform/logging/index.js';
import type { ResilientCache } from '../cache/resilient-cache.js';
import type { LegacyGateway } from '../legacy/legacy-gateway.js';
import type { ProxyMetrics } from '../proxy-metrics.js';
import { specOf, type LegacyView } from '../resources.js';
import { UpstreamFailed, type ServiceClient } from '../upstream/service-client.js';
import { claimCopy, completeCopy, findEntry, recordMigrated, releaseCopy, type How } from './ledger.js';

export interface MigratorDeps {
  db: Db;
  legacy: LegacyGateway;
  cache: ResilientCache;
  services: Record<LegacyKind, ServiceClient>;
  /** The proxy's own access token (its service account), for writing copies. */
  serviceToken: () => Promise<string>;
  metrics: ProxyMetrics;
  logger: Logger;
  /** A claim older than this is taken over: its holder died. Longer than any copy takes. */
  leaseMs?: number;
  /** How long an edit waits for another proxy's copy of the same record before answering 503. */
  waitMs?: number;
}

export interface Migrated {
  newId: string;
  /** True for the one call that made the copy. */
  copiedNow: boolean;
}

const MigrationBusy = (kind: LegacyKind, legacyId: number) =>
  new HttpProblem(503, 'Migration in progress', `Legacy ${kind} ${legacyId} is being migrated by another proxy; try again in a moment`, {
    type: 'https://figdesk.dev/problems/migration-busy',
    headers: { 'Retry-After': '1' },
  });

/**
 * Moves one legacy record into our service, exactly once however many edits, proxies and
 * back-fills ask at the same time. The ledger row is the claim: whoever inserts it (or takes
 * over a claim whose holder died) copies; the others wait for it to turn `migrated`. The copy
 * itself is idempotent too: it is stored under the record's public id with a unique legacy_id,
 * so a copy left by a holder that died before completing the ledger is found, not duplicated.
 * No database transaction is held across the HTTP calls.
 */
export function createMigrator(deps: MigratorDeps) {
  const leaseMs = deps.leaseMs ?? 15_000;
  const waitMs = deps.waitMs ?? 10_000;
  const inFlight = new Map<string, Promise<Migrated>>();
  // Migration is for ever, so a yes can be remembered; a no is asked again each time.
  const knownMigrated = new LRUCache<string, true>({ max: 200_000 });
  const keyOf = (kind: LegacyKind, legacyId: number) => `${kind}:${legacyId}`;

  async function isMigrated(kind: LegacyKind, legacyId: number): Promise<boolean> {
    const key = keyOf(kind, legacyId);
    if (knownMigrated.has(key)) return true;
    const entry = await findEntry(deps.db, kind, legacyId);
    if (entry?.state !== 'migrated') return false;
    knownMigrated.set(key, true);
    return true;
  }

  /** Migrates the record unless it is already; one call per record at a time in this process. */
  function migrate(kind: LegacyKind, legacyId: number, how: How): Promise<Migrated> {
    const key = keyOf(kind, legacyId);
    if (knownMigrated.has(key)) return Promise.resolve({ newId: legacyPublicId(kind, legacyId), copiedNow: false });
    const running = inFlight.get(key);
    if (running) return running.then((result) => ({ ...result, copiedNow: false }));
    const started = migrateOnce(kind, legacyId, how).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  async function migrateOnce(kind: LegacyKind, legacyId: number, how: How): Promise<Migrated> {
    const newId = legacyPublicId(kind, legacyId);
    const claim = randomUUID();
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      const { owned, row } = await claimCopy(deps.db, { resource: kind, legacyId, newId, how, claim, leaseMs });
      if (owned) return copy(kind, legacyId, newId, claim, how);
      if (row?.state === 'migrated') {
        knownMigrated.set(keyOf(kind, legacyId), true);
        return { newId, copiedNow: false };
      }
      if (Date.now() > deadline) throw MigrationBusy(kind, legacyId);
      await sleep(Math.min(25 * 2 ** attempt, 250));
    }
  }

  async function copy(kind: LegacyKind, legacyId: number, newId: string, claim: string, how: How): Promise<Migrated> {
    const spec = specOf(kind);
    const key = { resource: kind, legacyId, claim };
    try {
      // Read again from legacy, not from the cache: the copy must be what legacy holds now.
      const fresh = await deps.legacy.call<LegacyView | undefined>(`get_${kind}`, (crm, signal) => spec.fetchOne(crm, legacyId, signal));
      if (!fresh) throw new HttpProblem(404, 'Not found', `The legacy CRM has no ${kind} ${legacyId}`, { type: 'https://figdesk.dev/problems/not-found' });
      if ('client_legacy_id' in fresh) await migrate('client', fresh.client_legacy_id, how);
      const divergent = await divergentFields(kind, legacyId, fresh);
      await writeCopy(kind, newId, spec.copyOf(fresh));
      // Our claim may have expired and been taken over meanwhile; the copy exists either way.
      const completed = (await completeCopy(deps.db, key, divergent)) || (await recordMigrated(deps.db, { resource: kind, legacyId, newId, how }, divergent));
      if (completed) {
        deps.metrics.recordsMigrated.inc({ resource: kind, how });
        for (const field of divergent) deps.metrics.divergence.inc({ resource: kind, field });
        deps.logger.info({ resource: kind, legacyId, newId, how, divergent }, 'legacy record migrated');
      }
      knownMigrated.set(keyOf(kind, legacyId), true);
      await deps.cache.delete(kind, legacyId);
      return { newId, copiedNow: completed };
    } catch (error) {
      await releaseCopy(deps.db, key).catch((releaseError: unknown) => deps.logger.error({ err: releaseError, resource: kind, legacyId }, 'could not release a migration claim; it expires by itself'));
      throw error;
    }
  }

  async function divergentFields(kind: LegacyKind, legacyId: number, fresh: LegacyView): Promise<string[]> {
    const cached = (await deps.cache.getMany(kind, [legacyId])).get(legacyId)?.value as Record<string, unknown> | undefined;
    if (!cached) return [];
    return specOf(kind).compared.filter((field) => cached[field] !== (fresh as unknown as Record<string, unknown>)[field]);
  }

  async function writeCopy(kind: LegacyKind, newId: string, body: object): Promise<void> {
    const service = deps.services[kind];
    const path = specOf(kind).path;
    const authorization = `Bearer ${await deps.serviceToken()}`;
    const created = await service.call('POST', path, authorization, { body });
    if (created.status === 201) return;
    // 409: a holder that died before completing the ledger left the copy; it is the same record.
    if (created.status === 409) {
      const existing = await service.call<{ legacy_id?: number }>('GET', `${path}/${newId}`, authorization);
      if (existing.status === 200 && existing.body.legacy_id === (body as { legacy_id: number }).legacy_id) return;
    }
    deps.logger.warn({ resource: kind, newId, status: created.status, answer: created.body }, 'our service refused a migrated copy');
    throw new UpstreamFailed(service.name, `creating the copy of ${newId} answered ${created.status}`, { status: created.status });
  }

  /** Known here to be migrated, without asking the ledger (false means: ask). */
  const isKnownMigrated = (kind: LegacyKind, legacyId: number) => knownMigrated.has(keyOf(kind, legacyId));

  return { migrate, isMigrated, isKnownMigrated };
}

export type Migrator = ReturnType<typeof createMigrator>;
