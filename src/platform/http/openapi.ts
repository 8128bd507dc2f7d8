import { createDocument } from 'zod-openapi';
import type { RouteSpec } from './api.js';
import { PROBLEM_JSON } from './error-handler.js';
import { z } from 'zod';

/** The problem+json body every error shares (RFC 9457). */
export const ProblemDetailsSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), location: z.string(), detail: z.string() })).optional(),
  })
  .meta({ id: 'ProblemDetails', description: 'RFC 9457 problem details, the body of every error' });

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const errorResponses = (spec: RouteSpec) => {
  const problem = (description: string) => ({ description, content: { [PROBLEM_JSON]: { schema: ProblemDetailsSchema } } });
  return {
    ...(spec.body || spec.query || spec.params ? { 400: problem('Invalid input; `errors` names each field') } : {}),
    ...(spec.access !== 'public' ? { 401: problem('Missing or invalid bearer token') } : {}),
    ...(Array.isArray(spec.access) ? { 403: problem(`Caller lacks every role of: ${spec.access.join(', ')}`) } : {}),
  };
};

/** Builds the OpenAPI 3.1 document from the same zod schemas that validate requests. */
export function openApiDocument(info: { title: string; version: string; description?: string }, routes: RouteSpec[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    const path = toOpenApiPath(spec.path);
    const responses = Object.fromEntries(
      Object.entries(spec.responses).map(([status, response]) => [
        status,
        {
          description: response.description,
          ...(response.schema ? { content: { 'application/json': { schema: response.schema } } } : {}),
          ...(response.headers ? { headers: Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) } : {}),
        },
      ]),
    );
    paths[path] = {
      ...paths[path],
      [spec.method]: {
        summary: spec.summary,
        tags: spec.tags,
        ...(spec.access === 'public' ? {} : { security: [{ keycloak: [] }] }),
        ...(Array.isArray(spec.access) ? { description: `Roles: ${spec.access.join(', ')} (admin always).` } : {}),
        requestParams: { ...(spec.query ? { query: spec.query } : {}), ...(spec.params ? { path: spec.params } : {}), ...(spec.headers ? { header: spec.headers } : {}) },
        ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: spec.body } } } } : {}),
        responses: { ...responses, ...errorResponses(spec) },
      },
    };
  }
  return createDocument({
    openapi: '3.1.0',
    info,
    paths: paths as never,
    components: {
      securitySchemes: {
        keycloak: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token of the Keycloak realm `helpdesk`' },
      },
    },
  });
}
