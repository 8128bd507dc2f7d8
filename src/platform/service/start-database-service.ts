import type { Router } from 'express';
import { identityProviderCheck, verifierFromConfig, type Verify } from '../auth/index.js';
import { databaseChecks, migrateSchema, type Database, type MigrationSet } from '../db/index.js';
import { createApi, type Api, type Checks } from '../http/index.js';
import type { Logger } from '../logging/index.js';
import type { ServiceContext } from './context.js';
import { serve, type RunningService } from './serve.js';

export interface DatabaseServiceSpec {
  name: string;
  /** The Postgres schema this service owns and migrates. */
  schema: string;
  migrations: MigrationSet;
  port: number;
  /** Adds the service's routes; may return extra routers (e.g. a proxy) and readiness checks. */
  setup?: (deps: { api: Api; database: Database; verify: Verify; logger: Logger }) =>
    | void
    | { routers?: Router[]; readiness?: Checks; openApi?: () => unknown }
    | Promise<void | { routers?: Router[]; readiness?: Checks; openApi?: () => unknown }>;
}

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
    const extra = (await spec.setup?.({ api, database, verify, logger })) ?? {};
    return await serve({
      name: spec.name,
      config,
      port: context.port ?? spec.port,
      logger,
      api,
      routers: extra.routers,
      openApi: extra.openApi,
      readiness: { ...databaseChecks(database), identity_provider: identityProviderCheck(config), ...extra.readiness },
      release: () => database.close(),
    });
  } catch (error) {
    await database.close();
    throw error;
  }
}
