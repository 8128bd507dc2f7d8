import type { Database } from '../../platform/db/index.js';
import type { IncidentRow, NewIncidentRecords } from '../data/incident.repository.js';
import type { Clock } from './clock.js';
import type { SlaTargets } from './sla.js';
import type { IncidentMetrics } from './incident-metrics.js';

/** Settings of the helpdesk rules, from config. */
export interface IncidentSettings {
  categories: readonly string[];
  slaTargets: SlaTargets;
  autoCloseAfterMs: number;
  clusterSize: number;
  clusterWindowMs: number;
}

/** What every use case needs: the database, the time, the rules, and counters to bump after commit. */
export interface IncidentsDeps {
  db: Database;
  /** Files incidents no problem rule can touch, several to a statement under load (group commit). */
  filing: { write(item: NewIncidentRecords): Promise<IncidentRow> };
  clock: Clock;
  settings: IncidentSettings;
  metrics: IncidentMetrics;
}
