import { z } from 'zod';
import { PageQuery, type Api } from '../../platform/http/index.js';
import { addComment } from '../domain/add-comment.js';
import type { IncidentsDeps } from '../domain/deps.js';
import { findComments, findHistory } from '../domain/queries.js';
import { CommentPage, CommentSchema, CreateComment, HistoryPage, IncidentRef } from './incidents.schemas.js';
import { presentComment, presentHistory } from './presenters.js';

const tags = ['incidents'];

export function commentRoutes(api: Api, deps: IncidentsDeps): void {
  api.add(
    { method: 'post', path: '/api/v1/incidents/:id/comments', summary: 'Comment on an incident (public goes to the reporter)', tags, access: ['agent'], params: IncidentRef, body: CreateComment, responses: { 201: { description: 'The comment', schema: CommentSchema } } },
    async ({ params, body, user }, _req, res) => {
      const { comment } = await addComment(deps, params.id, body, { id: user.id, username: user.username, ...(user.name ? { name: user.name } : {}), kind: 'agent' });
      res.status(201).json(presentComment(comment));
    },
  );

  api.add(
    { method: 'get', path: '/api/v1/incidents/:id/comments', summary: 'Comments of an incident, oldest first', tags, access: ['agent', 'manager'], params: IncidentRef, query: PageQuery.extend({ visibility: z.enum(['public', 'internal']).optional() }).strict(), responses: { 200: { description: 'A page of comments', schema: CommentPage } } },
    async ({ params, query }, _req, res) => {
      const page = await findComments(deps, params.id, query);
      res.json({ ...page, data: page.data.map(presentComment) });
    },
  );

  api.add(
    { method: 'get', path: '/api/v1/incidents/:id/history', summary: 'Every change of an incident, oldest first', tags, access: ['agent', 'manager'], params: IncidentRef, query: PageQuery.strict(), responses: { 200: { description: 'A page of history entries', schema: HistoryPage } } },
    async ({ params, query }, _req, res) => {
      const page = await findHistory(deps, params.id, query);
      res.json({ ...page, data: page.data.map(presentHistory) });
    },
  );
}
