import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { AuthUser } from '../auth/index.js';
import { requireRole, authenticate, type Role, type Verify } from '../auth/index.js';
import { BadRequest, HttpProblem, type FieldProblem } from './problem.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One route: the single source of its validation, its authorisation and its OpenAPI operation. */
export interface RouteSpec<
  B extends z.ZodType = z.ZodType,
  Q extends z.ZodObject = z.ZodObject,
  P extends z.ZodObject = z.ZodObject,
> {
  method: Method;
  /** Express path, e.g. `/api/v1/incidents/:id`. */
  path: string;
  summary: string;
  tags?: string[];
  /** Roles admitted; `authenticated` admits any valid token, `public` needs none. */
  access: readonly Role[] | 'authenticated' | 'public';
  body?: B;
  query?: Q;
  params?: P;
  headers?: z.ZodObject;
  responses: Record<number, { description: string; schema?: z.ZodType; headers?: Record<string, string> }>;
}

export interface RouteInput<S extends RouteSpec> {
  body: S['body'] extends z.ZodType ? z.output<S['body']> : undefined;
  query: S['query'] extends z.ZodObject ? z.output<S['query']> : Record<string, never>;
  params: S['params'] extends z.ZodObject ? z.output<S['params']> : Record<string, never>;
  user: AuthUser;
}

export type RouteHandler<S extends RouteSpec> = (input: RouteInput<S>, req: Request, res: Response) => Promise<void> | void;

const pointer = (path: PropertyKey[]) => `#/${path.map((part) => String(part).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

function fieldProblems(error: z.ZodError, location: FieldProblem['location']): FieldProblem[] {
  return error.issues.flatMap((issue) =>
    // An unknown field is named by its own pointer, so a client sees which one to drop.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ location, pointer: pointer([...issue.path, key]), detail: 'Unknown field' }))
      : [{ location, pointer: pointer(issue.path), detail: issue.message }],
  );
}

/** Parses every part of the request against the spec; all field problems come back at once. */
function parseInput(spec: RouteSpec, req: Request) {
  const problems: FieldProblem[] = [];
  const part = <T>(schema: z.ZodType<T> | undefined, value: unknown, location: FieldProblem['location']): T | undefined => {
    if (!schema) return undefined;
    const result = schema.safeParse(value ?? (location === 'body' ? undefined : {}));
    if (result.success) return result.data;
    problems.push(...fieldProblems(result.error, location));
    return undefined;
  };
  const input = {
    params: part(spec.params, req.params, 'params') ?? {},
    query: part(spec.query, req.query, 'query') ?? {},
    body: part(spec.body, req.body, 'body'),
  };
  part(spec.headers, req.headers, 'header');
  if (problems.length) throw BadRequest('The request has invalid fields', problems);
  return input;
}

/** A router of described routes; `routes` feeds the OpenAPI document. */
export function createApi(verify: Verify, options: { bodyLimit?: string } = {}) {
  const router = Router();
  // Parsed per route, never router-wide: other routers (the edge's proxy) must get bodies as streams.
  const json = express.json({ limit: options.bodyLimit ?? '256kb', type: ['application/json', 'application/*+json'] });
  const routes: RouteSpec[] = [];

  function add<S extends RouteSpec>(spec: S, handler: RouteHandler<S>): void {
    routes.push(spec);
    const guards =
      spec.access === 'public' ? [] : spec.access === 'authenticated' ? [authenticate(verify)] : requireRole(verify, ...(spec.access as [Role, ...Role[]]));
    // A body in another format is 415, not a confusing list of missing fields.
    const requireJson: RequestHandler = (req, _res, next) =>
      next(req.is(['application/json', 'application/*+json']) ? undefined : new HttpProblem(415, 'Unsupported media type', 'Send the body as application/json', { type: 'https://figdesk.dev/problems/media-type' }));
    const parsers = spec.body ? [requireJson, json] : [];
    router[spec.method](spec.path, ...guards, ...parsers, async (req, res) => {
      const input = parseInput(spec, req);
      await handler({ ...input, user: req.user } as RouteInput<S>, req, res);
    });
  }

  return { router, routes, add };
}

export type Api = ReturnType<typeof createApi>;
