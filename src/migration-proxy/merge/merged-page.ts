/*
 * One list over two sources: our service and the legacy CRM. The total order is the public id:
 * legacy-born ids sort before native ones and among themselves by legacy id, which is the order
 * legacy pages in, and a migrated copy keeps its record's id. So both sources are walked in the
 * same order and merged like two sorted lists, and the cursor is the last id handed out plus
 * how far into legacy's own list that was (legacy pages by position only). Migration moves no
 * id, so pages stay right when records migrate between two fetches.
 */
import { LegacyUnavailable, type LegacyFailure } from '../legacy/legacy-gateway.js';

export interface Keyed {
  id: string;
}

export interface LegacyKeyed extends Keyed {
  legacy_id: number;
}

export interface MergeCursor {
  /** The last id handed out (or passed over), null at the start. */
  afterId: string | null;
  /** How many of legacy's matches have an id ≤ afterId, or fewer (a lower bound is safe). */
  legacyOffset: number;
}

/** Part of a source's list, and whether the list goes on after it. */
export interface Slice<T> {
  records: T[];
  more: boolean;
}

export interface MergeSources<Ours extends Keyed, Legacy extends LegacyKeyed> {
  /** Up to `count` of our service's matches with id > afterId, in id order, and whether more follow. Absent: not asked (legacy-only). */
  ours?: (afterId: string | null, count: number) => Promise<Slice<Ours>>;
  /** Up to `count` of legacy's matches from position `offset`, in id order; throws LegacyUnavailable. Absent: not asked (new-only). */
  legacy?: (offset: number, count: number) => Promise<Slice<Legacy>>;
  /** Which of these legacy ids were migrated, and when. Absent: migration is ignored (legacy-only). */
  migrated?: (legacyIds: number[]) => Promise<Map<number, Date>>;
  /** Cached legacy matches with id > afterId, served when legacy fails; undefined when the cache cannot answer. */
  cached?: (afterId: string | null, count: number) => Promise<Legacy[] | undefined>;
  /**
   * When legacy has not answered this long after being asked, the cache is asked too, so a
   * timeout is answered from the cache without a further wait.
   */
  cachedAfterMs?: number;
  /** A further filter on legacy records, for what legacy's own search cannot express. */
  keep?: (record: Legacy) => boolean;
  /** The time source, to compare with when records were migrated. */
  now?: () => number;
}

export type MergedItem<Ours, Legacy> = { source: 'new'; record: Ours } | { source: 'legacy'; record: Legacy; stale: boolean };

export interface MergedPage<Ours, Legacy> {
  items: MergedItem<Ours, Legacy>[];
  next: MergeCursor | null;
  sources: { ours: 'ok' | 'skipped'; legacy: 'ok' | 'skipped' | LegacyFailure };
}

/**
 * A copy migrated this long before our service was read is certainly in that answer if it
 * matches; one migrated later may not be, and legacy's version is shown instead of leaving a gap.
 * It covers the clock difference between the proxy and the database too.
 */
export const MIGRATION_MARGIN_MS = 1_000;
const MAX_ROUNDS = 4;

interface RoundResult<Ours, Legacy> {
  items: MergedItem<Ours, Legacy>[];
  cursor: MergeCursor;
  exhausted: boolean;
  legacy: MergedPage<Ours, Legacy>['sources']['legacy'];
}

async function round<Ours extends Keyed, Legacy extends LegacyKeyed>(sources: MergeSources<Ours, Legacy>, cursor: MergeCursor, limit: number): Promise<RoundResult<Ours, Legacy>> {
  const now = sources.now ?? Date.now;
  const oursReadAt = now();
  // Both sources at once: the answer takes as long as the slower one, not the sum.
  const none = { records: [], more: false };
  const lookupMigrated = (records: Legacy[]) => (sources.migrated ? sources.migrated(records.map((record) => record.legacy_id)) : Promise.resolve(new Map<number, Date>()));
  // The cache's stand-ins for legacy, with their migration state: everything a timeout needs.
  const fallback = async () => {
    const records = (await sources.cached?.(cursor.afterId, limit + 1)) ?? [];
    return { records, migrated: await lookupMigrated(records) };
  };
  let early: ReturnType<typeof fallback> | undefined;
  const cachedEarly =
    sources.legacy && sources.cached && sources.cachedAfterMs !== undefined
      ? setTimeout(() => {
          early = fallback();
          early.catch(() => undefined);
        }, sources.cachedAfterMs)
      : undefined;
  // Legacy is asked first: it is the slower source, so its clock should start first.
  const legacyCall = sources.legacy
    ? sources.legacy(cursor.legacyOffset, limit).then(
        (slice) => ({ slice, failure: undefined }),
        (error: unknown) => {
          if (error instanceof LegacyUnavailable) return { slice: undefined, failure: error.outcome };
          throw error;
        },
      )
    : Promise.resolve({ slice: none as Slice<Legacy>, failure: undefined });
  const oursCall = sources.ours ? sources.ours(cursor.afterId, limit) : Promise.resolve<Slice<Ours>>(none);
  const [oursSlice, legacyAnswer] = await Promise.all([oursCall, legacyCall]).finally(() => clearTimeout(cachedEarly));
  const ours = oursSlice.records;

  let legacyRecords: Legacy[];
  let legacyMore: boolean;
  let migrated: Map<number, Date>;
  let stale = false;
  let legacyOutcome: RoundResult<Ours, Legacy>['legacy'] = sources.legacy ? 'ok' : 'skipped';
  if (legacyAnswer.failure) {
    legacyOutcome = legacyAnswer.failure;
    // Legacy did not answer: what the cache holds stands in, marked stale. Its records are not
    // legacy's list, so the legacy position is left where it was (still a safe lower bound).
    const cached = await (early ?? fallback());
    legacyMore = cached.records.length > limit;
    legacyRecords = cached.records.slice(0, limit);
    migrated = cached.migrated;
    stale = true;
  } else {
    legacyRecords = (legacyAnswer.slice as Slice<Legacy>).records;
    legacyMore = (legacyAnswer.slice as Slice<Legacy>).more;
    migrated = await lookupMigrated(legacyRecords);
  }

  // A source with more after its last record: nothing beyond the smaller of those bounds can be
  // placed yet, since the other source's next record might come before it.
  const oursBound = oursSlice.more ? ours[ours.length - 1]?.id : undefined;
  const legacyBound = legacyMore ? legacyRecords[legacyRecords.length - 1]?.id : undefined;
  const bound = [oursBound, legacyBound].filter((id): id is string => id !== undefined).sort()[0];

  const items: MergedItem<Ours, Legacy>[] = [];
  let { afterId, legacyOffset } = cursor;
  let i = 0;
  let j = 0;
  const consumeLegacy = () => {
    i++;
    if (!stale) legacyOffset++;
  };
  while (items.length < limit) {
    const fromLegacy = legacyRecords[i];
    const fromOurs = ours[j];
    if (!fromLegacy && !fromOurs) break;
    const nextId = !fromOurs ? (fromLegacy as Legacy).id : !fromLegacy ? fromOurs.id : fromLegacy.id < fromOurs.id ? fromLegacy.id : fromOurs.id;
    if (bound !== undefined && nextId > bound) break;
    if (fromLegacy && afterId !== null && fromLegacy.id <= afterId) {
      // Legacy's position lagged behind (pages served from the cache): already handed out.
      consumeLegacy();
      continue;
    }
    if (fromLegacy && fromOurs && fromLegacy.id === fromOurs.id) {
      // Migrated: our copy is the record now.
      items.push({ source: 'new', record: fromOurs });
      consumeLegacy();
      j++;
    } else if (fromLegacy && fromLegacy.id === nextId) {
      const migratedAt = migrated.get(fromLegacy.legacy_id);
      const copyOutOfSight = migratedAt !== undefined && migratedAt.getTime() < oursReadAt - MIGRATION_MARGIN_MS;
      // A migrated record whose copy our service did not return no longer matches: skip it.
      if (!copyOutOfSight && (sources.keep?.(fromLegacy) ?? true)) items.push({ source: 'legacy', record: fromLegacy, stale });
      consumeLegacy();
    } else {
      items.push({ source: 'new', record: fromOurs as Ours });
      j++;
    }
    afterId = nextId;
  }
  const exhausted = i >= legacyRecords.length && j >= ours.length && !oursSlice.more && !legacyMore;
  return { items, cursor: { afterId, legacyOffset }, exhausted, legacy: legacyOutcome };
}

/** One page of the merged list after `cursor`. */
export async function mergedPage<Ours extends Keyed, Legacy extends LegacyKeyed>(
  sources: MergeSources<Ours, Legacy>,
  cursor: MergeCursor,
  limit: number,
): Promise<MergedPage<Ours, Legacy>> {
  const items: MergedItem<Ours, Legacy>[] = [];
  let position = cursor;
  let exhausted = false;
  let legacy: MergedPage<Ours, Legacy>['sources']['legacy'] = sources.legacy ? 'ok' : 'skipped';
  // Usually one round fills the page; another is needed only when legacy's records were
  // passed over (migrated copies that no longer match, or a position that lagged).
  for (let rounds = 0; rounds < MAX_ROUNDS && items.length < limit && !exhausted; rounds++) {
    const result = await round(sources, position, limit - items.length);
    items.push(...result.items);
    position = result.cursor;
    exhausted = result.exhausted;
    if (result.legacy !== 'ok') legacy = result.legacy;
    if (result.legacy !== 'ok' && result.legacy !== 'skipped') break;
  }
  return { items, next: exhausted ? null : position, sources: { ours: sources.ours ? 'ok' : 'skipped', legacy } };
}
