import type { Router } from 'express';
import { identityProviderCheck, verifierFromConfig, type TokenVerifier } from '../auth/index.js';
import { databaseChecks, migrateSchema, type Database, type MigrationSet } from '../db/index.js';
import { createApi, type Api, type Checks } from '../http/index.js';
import type { Logger } from '../logging/index.js';
import { createMetrics, type Metrics } from '../metrics/index.js';
import type { ServiceContext } from './context.js';
import { serve, type RunningService, type ServeOptions } from './serve.js';

export interface DatabaseServiceSpec {
  name: string;
  /** The Postgres schema this service owns and migrates. */
  schema: string;
  migrations: MigrationSet;
  port: number;
  /** Adds the service's routes; may return extra routers (e.g. a proxy), readiness checks, and background work to stop. */
  setup?: (deps: { api: Api; database: Database; verify: TokenVerifier; logger: Logger; metrics: Metrics }) => SetupResult | Promise<SetupResult>;
}

type SetupResult = void | {
  routers?: Router[];
  readiness?: Checks;
  openApi?: () => unknown;
  fastPath?: ServeOptions['fastPath'];
  /** Stops background work (jobs) before the pool closes. */
  stop?: () => Promise<void> | void;
};

/** The shape every service with a schema shares: own pool, migrate own schema, serve, release the pool last. */
export async function startDatabaseService(context: ServiceContext, spec: DatabaseServiceSpec): Promise<RunningService> {
  const { config } = context;
  const logger = context.logger.child({ service: spec.name });
  const database = context.database(`figdesk-${spec.name}`);
  try {
    const applied = await migrateSchema(database.primary, spec.schema, spec.migrations);
    if (applied.length) logger.info({ applied }, `migrated schema ${spec.schema}`);
    const verify = verifierFromConfig(config);
    const api = createApi(verify);
    const metrics = createMetrics(spec.name);
    const extra = (await spec.setup?.({ api, database, verify, logger, metrics })) ?? {};
    return await serve({
      name: spec.name,
      config,
      port: context.port ?? spec.port,
      logger,
      api,
      routers: extra.routers,
      openApi: extra.openApi,
      fastPath: extra.fastPath,
      metrics,
      readiness: () => ({ ...databaseChecks(database), ...identityProviderCheck(config, verify), ...extra.readiness }),
      release: async () => {
        await extra.stop?.();
        await database.close();
      },
    });
  } catch (error) {
    await database.close();
    throw error;
  }
}
