import { incidentSchemas } from '../../http/incidents.schemas.js';

/**
 * The body the service bus sends, over HTTP or AMQP: an incident as an agent would file it,
 * minus the channel and the assignee. The intake role files incidents; assigning them is an
 * agent's work (a group and tags, which route the incident, stay).
 */
export const esbIncidentSchema = (categories: readonly string[]) => incidentSchemas(categories).CreateIncident.omit({ channel: true, assignee: true }).meta({ id: 'EsbIncident' });
