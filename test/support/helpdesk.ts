import request from 'supertest';
import type { TestSystem } from './system.js';

/** What an agent or manager does through the public edge, one call per method. */
export function helpdesk(t: TestSystem, token: string) {
  const auth = { Authorization: `Bearer ${token}` };
  const edge = () => request(t.edge);
  return {
    create: (body: object) => edge().post('/api/v1/incidents').set(auth).send(body),
    get: (id: string) => edge().get(`/api/v1/incidents/${id}`).set(auth),
    list: (query: Record<string, string | number | boolean> = {}) => edge().get('/api/v1/incidents').query(query).set(auth),
    patch: (id: string, version: number | undefined, body: object) => {
      const call = edge().patch(`/api/v1/incidents/${id}`).set(auth);
      if (version !== undefined) call.set('If-Match', `"${version}"`);
      return call.send(body);
    },
    transition: (id: string, body: object) => edge().post(`/api/v1/incidents/${id}/transitions`).set(auth).send(body),
    comment: (id: string, body: object) => edge().post(`/api/v1/incidents/${id}/comments`).set(auth).send(body),
    comments: (id: string, query: Record<string, string> = {}) => edge().get(`/api/v1/incidents/${id}/comments`).query(query).set(auth),
    history: (id: string) => edge().get(`/api/v1/incidents/${id}/history`).query({ limit: 200 }).set(auth),
    escalate: (id: string, body: object = {}) => edge().post(`/api/v1/incidents/${id}/escalate`).set(auth).send(body),
    createProblem: (body: object) => edge().post('/api/v1/problems').set(auth).send(body),
    getProblem: (id: string) => edge().get(`/api/v1/problems/${id}`).set(auth),
    listProblems: (query: Record<string, string> = {}) => edge().get('/api/v1/problems').query(query).set(auth),
    patchProblem: (id: string, version: number | undefined, body: object) => {
      const call = edge().patch(`/api/v1/problems/${id}`).set(auth);
      if (version !== undefined) call.set('If-Match', `"${version}"`);
      return call.send(body);
    },
    link: (problemId: string, incidentId: string) => edge().post(`/api/v1/problems/${problemId}/incidents/${incidentId}`).set(auth),
    unlink: (problemId: string, incidentId: string) => edge().delete(`/api/v1/problems/${problemId}/incidents/${incidentId}`).set(auth),
  };
}

export type Helpdesk = ReturnType<typeof helpdesk>;

/** Outbox events of one aggregate, oldest first. */
export async function eventsOf(t: TestSystem, aggregateId: string): Promise<{ type: string; payload: { data: Record<string, unknown> } }[]> {
  return t.database.knex.withSchema('incidents').table('outbox').where({ aggregate_id: aggregateId }).orderBy('id').select('type', 'payload');
}

/** Every page of a list, following next_cursor. */
export async function allPages<T>(fetchPage: (cursor?: string) => Promise<{ body: { data: T[]; page: { next_cursor: string | null } } }>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages += 1) {
    const { body } = await fetchPage(cursor);
    items.push(...body.data);
    if (!body.page.next_cursor) return items;
    cursor = body.page.next_cursor;
  }
  throw new Error('more than 1000 pages');
}
