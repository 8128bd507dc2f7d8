import type { Response } from 'express';
import { z } from 'zod';
import type { Api } from '../../../platform/http/index.js';
import { actorOf } from '../../http/actor.js';
import { CommentSchema, CreateComment, IncidentRef, IncidentSchema } from '../../http/incidents.schemas.js';
import { esbIncidentSchema } from './esb.schemas.js';
import type { IncidentsDeps } from '../../domain/deps.js';
import type { IntakeMetrics } from '../intake-metrics.js';
import { commentFromEsb, fileFromEsb, type EsbResult } from './esb-intake.js';

const IdempotencyHeaders = z.looseObject({
  'idempotency-key': z.string({ error: 'Idempotency-Key is required: a repeat with the same key returns the first answer' }).regex(/^[\x21-\x7e]{1,255}$/, '1 to 255 visible ASCII characters'),
});

/** POST /intake/esb: other systems file incidents with their service account, idempotently, and add public comments to them. */
export function esbRoutes(api: Api, deps: IncidentsDeps, metrics: IntakeMetrics, rules: { reopenWindowMs: number }): void {
  api.add(
    {
      method: 'post',
      path: '/intake/esb',
      summary: 'File an incident from the enterprise service bus (Idempotency-Key required)',
      tags: ['intake'],
      access: ['intake'],
      headers: IdempotencyHeaders,
      body: esbIncidentSchema(deps.settings.categories),
      responses: {
        201: { description: 'Filed; a repeat of the key gets this answer again with Idempotent-Replayed: true', schema: IncidentSchema, headers: { Location: 'URL of the incident' } },
        422: { description: 'The key was used before with another body' },
      },
    },
    async ({ body, user }, req, res) => {
      const key = req.get('idempotency-key') as string;
      // Keys are the caller's own: two systems may well pick the same one. Scoped by the caller's
      // user id (`sub`; a service account's is its client's), not by the client alone: everyone
      // signed in through one public client (helpdesk-web) would otherwise share keys, and one
      // person's repeat would be answered with another's incident.
      const result = await fileFromEsb(deps, { externalId: `http:${user.id}:${key}`, incident: body }, actorOf(user));
      metrics.messages.inc({ channel: 'esb', outcome: result.repeat ? 'duplicate' : 'filed' });
      const incident = result.body as { id: string };
      answer(res, result, `/api/v1/incidents/${incident.id}`);
    },
  );

  api.add(
    {
      method: 'post',
      path: '/intake/esb/incidents/:id/comments',
      summary: "Add a public comment, as the reporter's side, to an incident the enterprise service bus filed (Idempotency-Key required)",
      tags: ['intake'],
      access: ['intake'],
      headers: IdempotencyHeaders,
      params: IncidentRef,
      body: EsbComment,
      responses: {
        201: { description: 'Added; a repeat of the key gets this answer again with Idempotent-Replayed: true', schema: CommentSchema, headers: { Location: "URL of the incident's comments" } },
        409: { description: 'The incident was not filed through the service bus, is closed or cancelled, or was resolved longer ago than REOPEN_WINDOW' },
        422: { description: 'The key was used before with another body' },
      },
    },
    async ({ params, body, user }, req, res) => {
      const key = req.get('idempotency-key') as string;
      // One key space per caller for incidents and comments alike: a key reused across them is a 422.
      const result = await commentFromEsb(deps, { externalId: `http:${user.id}:${key}`, incident: params.id, body: body.body }, actorOf(user), rules);
      metrics.messages.inc({ channel: 'esb', outcome: result.repeat ? 'duplicate' : result.reopened ? 'reopened' : 'threaded' });
      const comment = result.body as { incident_id: string };
      answer(res, result, `/api/v1/incidents/${comment.incident_id}/comments`);
    },
  );
}

/** An ESB comment is always public: it is the reporter's side speaking. */
const EsbComment = CreateComment.omit({ visibility: true }).meta({ id: 'EsbComment' });

function answer(res: Response, result: EsbResult, location: string): void {
  if (result.repeat) res.set('Idempotent-Replayed', 'true');
  res.status(result.status).location(location).json(result.body);
}
