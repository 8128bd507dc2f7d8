import type { MigrationSet } from '../../src/platform/db/migrate.js';
import * as createIncidents from './20261123140000_create_incidents.js';

export const incidentsMigrations: MigrationSet = {
  '20261123140000_create_incidents': createIncidents,
};
