import type { Knex } from 'knex';
import type { Api } from '../../platform/http/index.js';
import { createIncident } from '../domain/create-incident.js';
import { getIncident } from '../domain/get-incident.js';
import { etagOf, presentIncident } from './incident.presenter.js';
import { CreateIncident, Incident, IncidentRef } from './incidents.schemas.js';

export function incidentRoutes(api: Api, db: { primary: Knex; replica: Knex }): void {
  api.add(
    {
      method: 'post',
      path: '/api/v1/incidents',
      summary: 'File an incident',
      tags: ['incidents'],
      access: ['agent'],
      body: CreateIncident,
      responses: { 201: { description: 'Created', schema: Incident, headers: { Location: 'URL of the incident', ETag: 'Version for If-Match' } } },
    },
    async ({ body, user }, _req, res) => {
      const incident = await createIncident(db.primary, body, user, presentIncident);
      res.status(201).location(`/api/v1/incidents/${incident.id}`).set('ETag', etagOf(incident)).json(presentIncident(incident));
    },
  );

  api.add(
    {
      method: 'get',
      path: '/api/v1/incidents/:id',
      summary: 'Read an incident by id or key',
      tags: ['incidents'],
      access: ['agent', 'manager'],
      params: IncidentRef,
      responses: { 200: { description: 'The incident', schema: Incident, headers: { ETag: 'Version for If-Match' } }, 404: { description: 'No such incident' } },
    },
    async ({ params }, _req, res) => {
      // Read-your-writes matters more than offloading here: an agent opens what they just filed.
      const incident = await getIncident(db.primary, params.id);
      res.set('ETag', etagOf(incident)).json(presentIncident(incident));
    },
  );
}
