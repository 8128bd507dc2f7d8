import { incidentSchemas } from '../../http/incidents.schemas.js';

/** The body the service bus sends, over HTTP or AMQP: an incident as an agent would file it, minus the channel. */
export const esbIncidentSchema = (categories: readonly string[]) => incidentSchemas(categories).CreateIncident.omit({ channel: true }).meta({ id: 'EsbIncident' });
