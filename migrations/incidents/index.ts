import type { MigrationSet } from '../../src/platform/db/migrate.js';
import * as createIncidents from './20261123140000_create_incidents.js';
import * as helpdeskCore from './20261123150000_helpdesk_core.js';
import * as incidentKeyFunction from './20261123160000_incident_key_function.js';
import * as slaPausedTotal from './20261123170000_sla_paused_total.js';
import * as intakeAndNotifications from './20261123210000_intake_and_notifications.js';
import * as problemNumberOnIncidents from './20261208000000_problem_number_on_incidents.js';

export const incidentsMigrations: MigrationSet = {
  '20261123140000_create_incidents': createIncidents,
  '20261123150000_helpdesk_core': helpdeskCore,
  '20261123160000_incident_key_function': incidentKeyFunction,
  '20261123170000_sla_paused_total': slaPausedTotal,
  '20261123210000_intake_and_notifications': intakeAndNotifications,
  '20261208000000_problem_number_on_incidents': problemNumberOnIncidents,
};
