import { schemaMigrations } from '../../migrations/index.js';
import { groupCommit } from '../platform/db/index.js';
import { insertIncidentsWithRecords, type NewIncidentRecords } from './data/incident.repository.js';
import type { Config } from '../platform/config/index.js';
import { startDatabaseService, type RunningService, type ServiceContext } from '../platform/service/index.js';
import { systemClock } from './domain/clock.js';
import type { IncidentSettings, IncidentsDeps } from './domain/deps.js';
import type { Database } from '../platform/db/index.js';
import type { Registry } from 'prom-client';
import { startChannels } from './channels.js';
import { createIncidentMetrics } from './domain/incident-metrics.js';
import { startIncidentJobs } from './jobs/schedule.js';
import { commentRoutes } from './http/comments.routes.js';
import { incidentRoutes } from './http/incidents.routes.js';
import { problemRoutes } from './http/problems.routes.js';

export const incidentSettings = (config: Config): IncidentSettings => ({
  categories: config.INCIDENT_CATEGORIES,
  slaTargets: config.SLA_TARGETS,
  autoCloseAfterMs: config.AUTO_CLOSE_AFTER,
  clusterSize: config.PROBLEM_CLUSTER_SIZE,
  clusterWindowMs: config.PROBLEM_CLUSTER_WINDOW,
});

/** What the use cases need, for the service and for workers run as their own process. */
export function incidentsDeps(config: Config, database: Database, registry: Registry, clock?: () => Date): IncidentsDeps {
  return {
    db: database,
    filing: groupCommit((items: NewIncidentRecords[]) => insertIncidentsWithRecords(database.primary, items), { maxBatch: 64 }),
    clock: clock ?? systemClock,
    settings: incidentSettings(config),
    metrics: createIncidentMetrics(registry, () => database.replica),
  };
}

/** Starts the incidents service: migrates schema `incidents`, serves the helpdesk API and the intake channels, runs its jobs and workers. */
export function startIncidents(context: ServiceContext): Promise<RunningService> {
  return startDatabaseService(context, {
    name: 'incidents',
    schema: 'incidents',
    migrations: schemaMigrations.incidents,
    port: context.config.INCIDENTS_PORT,
    setup: async ({ api, database, metrics, logger }) => {
      const deps = incidentsDeps(context.config, database, metrics.registry, context.clock);
      incidentRoutes(api, deps);
      commentRoutes(api, deps);
      problemRoutes(api, deps);
      const channels = await startChannels({ config: context.config, deps, api, registry: metrics.registry, logger, edgeUrl: context.edgeUrl });
      const jobs = startIncidentJobs(deps, context.config.INCIDENT_JOBS_INTERVAL_MS, logger);
      return {
        routers: channels.routers,
        readiness: channels.readiness,
        async stop() {
          await Promise.all([jobs.stop(), channels.stop()]);
        },
      };
    },
  });
}
