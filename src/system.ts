import { join } from 'node:path';
import { databaseServices } from './services.js';
import type { DevIdp } from './platform/auth/dev-idp/index.js';
import { serviceUrls, type Config } from './platform/config/index.js';
import { poolPerService, sharedEmbeddedDatabase, startEmbeddedPostgres, type DatabaseFactory } from './platform/db/index.js';
import { Lifecycle } from './platform/lifecycle/index.js';
import type { Logger } from './platform/logging/index.js';
import type { RunningService } from './platform/service/index.js';
import { startLegacyCrm } from '../tools/legacy-crm/index.js';

export interface RunningSystem {
  lifecycle: Lifecycle;
  /** The config after start: ports 0 replaced by the real ones, upstream URLs filled in. */
  config: Config;
  services: Record<'proxy' | 'incidents' | 'clients' | 'orders' | 'legacyCrm', RunningService>;
  idp?: DevIdp;
  databaseUrl?: string;
  embeddedDatabase: boolean;
  stop(): Promise<void>;
}

/**
 * Every process of the design in one Node process, each on its own port: what `npm start`
 * runs. Missing infrastructure is replaced by embedded defaults (PGlite, the development
 * identity provider), and the log says which.
 */
export async function startSystem(initial: Config, logger: Logger, injected: { database?: DatabaseFactory; clock?: () => Date } = {}): Promise<RunningSystem> {
  const lifecycle = new Lifecycle(logger);
  let config = { ...initial };
  try {
    let databaseUrl = config.DATABASE_URL;
    let database: DatabaseFactory;
    if (injected.database) {
      database = injected.database;
    } else if (databaseUrl) {
      database = poolPerService({ url: databaseUrl, replicaUrl: config.DATABASE_REPLICA_URL, poolMax: config.DATABASE_POOL_MAX });
    } else {
      const embedded = await lifecycle.start(
        'embedded-postgres',
        () => startEmbeddedPostgres({ dataDir: join(config.DATA_DIR, 'pglite'), host: '127.0.0.1', port: config.EMBEDDED_PG_PORT, logger }),
        (db) => db.stop(),
      );
      databaseUrl = embedded.url;
      const shared = sharedEmbeddedDatabase(embedded.url);
      lifecycle.add('embedded-postgres-pool', shared.close);
      database = shared.factory;
      logger.info({ url: embedded.url, dataDir: embedded.dataDir }, 'no DATABASE_URL: running embedded PGlite');
    }

    let idp: DevIdp | undefined;
    if (!config.KEYCLOAK_URL) {
      // Loaded only when used: production (KEYCLOAK_URL set) never loads oidc-provider.
      const { startDevIdp } = await import('./platform/auth/dev-idp/index.js');
      idp = await lifecycle.start(
        'dev-idp',
        () => startDevIdp({ realmFile: config.REALM_FILE, host: config.HOST, port: config.DEV_IDP_PORT, nodeEnv: config.NODE_ENV, logger: logger.child({ service: 'dev-idp' }), keyFile: join(config.DATA_DIR, 'dev-idp-key.json') }),
        (server) => server.close(),
      );
      // Services expect exactly the issuer the provider signs with, whatever HOST it listens on.
      config = { ...config, DEV_IDP_PORT: idp.port, KEYCLOAK_ISSUER: idp.issuer };
    }

    // The edge's address is known once it listens; services ask for it when they need it.
    const edge: { url?: string } = {};
    const context = () => ({ config, logger, database, clock: injected.clock, edgeUrl: () => edge.url ?? serviceUrls(config).edge });
    const run = (name: string, start: () => Promise<RunningService>) => lifecycle.start(name, start, (service) => service.stop());

    const legacyCrm = await run('legacy-crm', () => startLegacyCrm(context()));
    // allSettled: when one fails, the others still finish starting and are registered, so stop() stops them too.
    const started = await Promise.allSettled([
      run('incidents', () => databaseServices.incidents(context())),
      run('clients', () => databaseServices.clients(context())),
      run('orders', () => databaseServices.orders(context())),
    ]);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [incidents, clients, orders] = started.map((result) => (result as PromiseFulfilledResult<RunningService>).value) as [RunningService, RunningService, RunningService];
    config = {
      ...config,
      INCIDENTS_URL: config.INCIDENTS_URL ?? incidents.url,
      CLIENTS_URL: config.CLIENTS_URL ?? clients.url,
      ORDERS_URL: config.ORDERS_URL ?? orders.url,
      LEGACY_CRM_URL: config.LEGACY_CRM_URL ?? legacyCrm.url,
    };
    // The edge starts last and, being registered last, stops first: no request reaches a stopped service.
    const proxy = await run('migration-proxy', () => databaseServices['migration-proxy'](context()));
    edge.url = config.PROXY_URL ?? proxy.url;

    return {
      lifecycle,
      config,
      services: { proxy, incidents, clients, orders, legacyCrm },
      idp,
      databaseUrl,
      embeddedDatabase: !initial.DATABASE_URL && !injected.database,
      stop: () => lifecycle.stop(),
    };
  } catch (error) {
    await lifecycle.stop();
    throw error;
  }
}
