import type { Db } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/index.js';

export const ROUTE_MODES = ['legacy-only', 'merge', 'new-only'] as const;
export type RouteMode = (typeof ROUTE_MODES)[number];
export type RoutedResource = 'clients' | 'orders';

export interface RouteModeEntry {
  resource: RoutedResource;
  mode: RouteMode;
  changed_by: string | null;
  changed_at: Date | null;
}

const DEFAULT_MODE: RouteMode = 'merge';
const table = (db: Db) => db.withSchema('migration').table('route_modes');

/**
 * Route modes live in Postgres, not only in Redis: a cut-over must survive a Redis restart,
 * and proxies must agree on it while Redis is down. Each proxy re-reads them every
 * `refreshMs`; the proxy an admin talked to applies a change at once.
 */
export function routeModes(db: Db, options: { refreshMs: number; logger: Logger }) {
  let current = new Map<RoutedResource, RouteModeEntry>();
  let timer: NodeJS.Timeout | undefined;

  async function refresh(): Promise<void> {
    const rows: RouteModeEntry[] = await table(db).select('resource', 'mode', 'changed_by', 'changed_at');
    current = new Map(rows.map((row) => [row.resource, row]));
  }

  return {
    async start() {
      await refresh();
      timer = setInterval(() => {
        refresh().catch((error: unknown) => options.logger.warn({ err: error }, 'could not re-read route modes; keeping the last known'));
      }, options.refreshMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
    modeOf: (resource: RoutedResource): RouteMode => current.get(resource)?.mode ?? DEFAULT_MODE,
    list: (): RouteModeEntry[] =>
      (['clients', 'orders'] as const).map((resource) => current.get(resource) ?? { resource, mode: DEFAULT_MODE, changed_by: null, changed_at: null }),
    async set(resource: RoutedResource, mode: RouteMode, changedBy: string): Promise<RouteModeEntry> {
      const [row] = await table(db)
        .insert({ resource, mode, changed_by: changedBy, changed_at: db.fn.now() })
        .onConflict('resource')
        .merge()
        .returning(['resource', 'mode', 'changed_by', 'changed_at']);
      const entry = row as RouteModeEntry;
      current = new Map(current).set(resource, entry);
      options.logger.info({ resource, mode, changedBy }, 'route mode changed');
      return entry;
    },
  };
}

export type RouteModes = ReturnType<typeof routeModes>;
