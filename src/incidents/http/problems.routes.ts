import type { Api } from '../../platform/http/index.js';
import type { IncidentsDeps } from '../domain/deps.js';
import { incidentView } from '../domain/incident-view.js';
import { createProblem, linkIncident, unlinkIncident, updateProblemFields } from '../domain/problems.js';
import { findProblems, getProblem } from '../domain/queries.js';
import { actorOf } from './actor.js';
import { etagOf, IfMatch, requiredVersion } from '../../platform/http/index.js';
import { IncidentSchema } from './incidents.schemas.js';
import { presentProblem } from './presenters.js';
import { CreateProblem, PatchProblem, ProblemIncidentParams, ProblemListQuery, ProblemPage, ProblemParams, ProblemSchema } from './problems.schemas.js';

const tags = ['problems'];

export function problemRoutes(api: Api, deps: IncidentsDeps): void {
  api.add(
    { method: 'post', path: '/api/v1/problems', summary: 'Open a problem by hand', tags, access: ['manager'], body: CreateProblem, responses: { 201: { description: 'Created', schema: ProblemSchema } } },
    async ({ body, user }, _req, res) => {
      const problem = await createProblem(deps, body, actorOf(user));
      res.status(201).location(`/api/v1/problems/${problem.id}`).set('ETag', etagOf(problem)).json(presentProblem(problem, 0));
    },
  );

  api.add(
    { method: 'get', path: '/api/v1/problems', summary: 'List problems, newest first', tags, access: ['agent', 'manager'], query: ProblemListQuery, responses: { 200: { description: 'A page of problems', schema: ProblemPage } } },
    async ({ query }, _req, res) => {
      const page = await findProblems(deps, query);
      res.json({ ...page, data: page.data.map((problem) => presentProblem(problem)) });
    },
  );

  api.add(
    { method: 'get', path: '/api/v1/problems/:id', summary: 'Read a problem by id or key', tags, access: ['agent', 'manager'], params: ProblemParams, responses: { 200: { description: 'The problem', schema: ProblemSchema }, 404: { description: 'No such problem' } } },
    async ({ params }, _req, res) => {
      const { problem, incidentCount } = await getProblem(deps, params.id);
      res.set('ETag', etagOf(problem)).json(presentProblem(problem, incidentCount));
    },
  );

  api.add(
    { method: 'patch', path: '/api/v1/problems/:id', summary: 'Change a problem; status resolved resolves its open incidents (If-Match required)', tags, access: ['manager'], params: ProblemParams, headers: IfMatch, body: PatchProblem, responses: { 200: { description: 'The changed problem', schema: ProblemSchema }, 409: { description: 'Status move not allowed' }, 412: { description: 'Stale version' } } },
    async ({ params, body, user }, req, res) => {
      const problem = await updateProblemFields(deps, params.id, body, actorOf(user), requiredVersion(req.get('if-match')));
      res.set('ETag', etagOf(problem)).json(presentProblem(problem));
    },
  );

  api.add(
    { method: 'post', path: '/api/v1/problems/:id/incidents/:incidentId', summary: 'Link an incident to the problem (moving it from another)', tags, access: ['manager'], params: ProblemIncidentParams, responses: { 200: { description: 'The linked incident', schema: IncidentSchema } } },
    async ({ params, user }, _req, res) => {
      res.json(incidentView(await linkIncident(deps, params.id, params.incidentId, actorOf(user)), deps.clock()));
    },
  );

  api.add(
    { method: 'delete', path: '/api/v1/problems/:id/incidents/:incidentId', summary: 'Unlink an incident from the problem', tags, access: ['manager'], params: ProblemIncidentParams, responses: { 204: { description: 'Unlinked' } } },
    async ({ params, user }, _req, res) => {
      await unlinkIncident(deps, params.id, params.incidentId, actorOf(user));
      res.status(204).end();
    },
  );
}
