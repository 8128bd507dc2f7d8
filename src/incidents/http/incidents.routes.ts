import type { AuthUser } from '../../platform/auth/index.js';
import type { Api } from '../../platform/http/index.js';
import { actorOf } from './actor.js';
import { createIncident } from '../domain/create-incident.js';
import type { IncidentsDeps } from '../domain/deps.js';
import { incidentView } from '../domain/incident-view.js';
import { escalateIncident } from '../domain/problems.js';
import { findIncidents, getIncident } from '../domain/queries.js';
import { transitionIncident } from '../domain/transition-incident.js';
import { updateIncidentFields } from '../domain/update-incident.js';
import { findProblem } from '../data/problem.repository.js';
import { NO_SUCH_ID, parseProblemRef } from '../domain/incident-ref.js';
import type { SortKey } from '../data/incident-query.js';
import { presentProblem } from './presenters.js';
import { etagOf, IfMatch, requiredVersion, versionOf } from '../../platform/http/index.js';
import { Escalate, IncidentPage, IncidentRef, IncidentSchema, incidentSchemas, Transition } from './incidents.schemas.js';
import { ProblemSchema } from './problems.schemas.js';

const tags = ['incidents'];

export function incidentRoutes(api: Api, deps: IncidentsDeps): void {
  const { CreateIncident, PatchIncident, ListQuery } = incidentSchemas(deps.settings.categories);
  const view = (row: Parameters<typeof incidentView>[0]) => incidentView(row, deps.clock());
  const assigneeFilter = (value: string | undefined, user: AuthUser) => (value === 'me' ? user.id : value);

  api.add(
    { method: 'post', path: '/api/v1/incidents', summary: 'File an incident', tags, access: ['agent'], body: CreateIncident, responses: { 201: { description: 'Created', schema: IncidentSchema, headers: { Location: 'URL of the incident', ETag: 'Version for If-Match' } } } },
    async ({ body, user }, _req, res) => {
      const incident = await createIncident(deps, body, actorOf(user));
      res.status(201).location(`/api/v1/incidents/${incident.id}`).set('ETag', etagOf(incident)).json(view(incident));
    },
  );

  api.add(
    { method: 'get', path: '/api/v1/incidents', summary: 'List incidents: filters, sort, cursor pagination', tags, access: ['agent', 'manager'], query: ListQuery, responses: { 200: { description: 'A page of incidents', schema: IncidentPage } } },
    async ({ query, user }, _req, res) => {
      let problemId: string | undefined;
      if (query.problem) {
        const problem = await findProblem(deps.db.replica, parseProblemRef(query.problem));
        problemId = problem?.id ?? NO_SUCH_ID;
      }
      const descending = query.sort.startsWith('-');
      const page = await findIncidents(deps, {
        filter: {
          status: query.status,
          priority: query.priority,
          category: query.category,
          channel: query.channel,
          assignee: assigneeFilter(query.assignee, user),
          group: query.group,
          tag: query.tag,
          clientId: query.client_id,
          orderId: query.order_id,
          problemId,
          createdFrom: query.created_from,
          createdTo: query.created_to,
          updatedFrom: query.updated_from,
          updatedTo: query.updated_to,
          text: query.q,
          breached: query.breached,
          dueWithinMs: query.due_within,
        },
        sort: { key: (descending ? query.sort.slice(1) : query.sort) as SortKey, direction: descending ? 'desc' : 'asc' },
        limit: query.limit,
        cursor: query.cursor,
      });
      res.json(page);
    },
  );

  api.add(
    { method: 'get', path: '/api/v1/incidents/:id', summary: 'Read an incident by id or key', tags, access: ['agent', 'manager'], params: IncidentRef, responses: { 200: { description: 'The incident', schema: IncidentSchema, headers: { ETag: 'Version for If-Match' } }, 404: { description: 'No such incident' } } },
    async ({ params }, _req, res) => {
      const incident = await getIncident(deps, params.id);
      res.set('ETag', etagOf(incident)).json(view(incident));
    },
  );

  api.add(
    { method: 'patch', path: '/api/v1/incidents/:id', summary: 'Change fields of an incident (If-Match required)', tags, access: ['agent'], params: IncidentRef, headers: IfMatch, body: PatchIncident, responses: { 200: { description: 'The changed incident', schema: IncidentSchema }, 412: { description: 'Stale version' }, 428: { description: 'If-Match missing' } } },
    async ({ params, body, user }, req, res) => {
      const incident = await updateIncidentFields(deps, params.id, body, actorOf(user), requiredVersion(req.get('if-match')));
      res.set('ETag', etagOf(incident)).json(view(incident));
    },
  );

  api.add(
    { method: 'post', path: '/api/v1/incidents/:id/transitions', summary: 'Move an incident to another status', tags, access: ['agent'], params: IncidentRef, headers: IfMatch, body: Transition, responses: { 200: { description: 'The incident in its new status', schema: IncidentSchema }, 409: { description: 'Not allowed from the current status; `allowed` lists what is' } } },
    async ({ params, body, user }, req, res) => {
      const incident = await transitionIncident(deps, params.id, body, actorOf(user), versionOf(req.get('if-match')));
      res.set('ETag', etagOf(incident)).json(view(incident));
    },
  );

  api.add(
    { method: 'post', path: '/api/v1/incidents/:id/escalate', summary: 'Escalate to a problem: link to one, or open one from the incident', tags: ['incidents', 'problems'], access: ['agent', 'manager'], params: IncidentRef, body: Escalate, responses: { 201: { description: 'A problem was opened', schema: ProblemSchema }, 200: { description: 'Linked to the given problem', schema: ProblemSchema } } },
    async ({ params, body, user }, _req, res) => {
      const { problem, created } = await escalateIncident(deps, params.id, body, actorOf(user));
      res.status(created ? 201 : 200).location(`/api/v1/problems/${problem.id}`).json(presentProblem(problem));
    },
  );
}
