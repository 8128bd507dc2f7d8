import { schemaMigrations } from '../../migrations/index.js';
import { groupCommit } from '../platform/db/index.js';
import { insertIncidentsWithRecords, type NewIncidentRecords } from './data/incident.repository.js';
import type { Config } from '../platform/config/index.js';
import { startDatabaseService, type RunningService, type ServiceContext } from '../platform/service/index.js';
import { systemClock } from './domain/clock.js';
import type { IncidentSettings, IncidentsDeps } from './domain/deps.js';
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

/** Starts the incidents service: migrates schema `incidents`, serves the helpdesk API, runs its jobs. */
export function startIncidents(context: ServiceContext): Promise<RunningService> {
  return startDatabaseService(context, {
    name: 'incidents',
    schema: 'incidents',
    migrations: schemaMigrations.incidents,
    port: context.config.INCIDENTS_PORT,
    setup: ({ api, database, metrics, logger }) => {
      const deps: IncidentsDeps = {
        db: database,
        filing: groupCommit((items: NewIncidentRecords[]) => insertIncidentsWithRecords(database.primary, items), { maxBatch: 64 }),
        clock: context.clock ?? systemClock,
        settings: incidentSettings(context.config),
        metrics: createIncidentMetrics(metrics.registry, () => database.replica),
      };
      incidentRoutes(api, deps);
      commentRoutes(api, deps);
      problemRoutes(api, deps);
      const jobs = startIncidentJobs(deps, context.config.INCIDENT_JOBS_INTERVAL_MS, logger);
      return { stop: () => jobs.stop() };
    },
  });
}
