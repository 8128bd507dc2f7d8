import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '../logging/index.js';
import { HttpProblem } from './problem.js';

export const PROBLEM_JSON = 'application/problem+json';

/** The RFC 9457 body of a problem; the request id ties the answer to the log lines. */
function problemBody(problem: HttpProblem, requestId: string | undefined) {
  const rest: Record<string, unknown> = { ...problem.extra };
  delete rest.headers;
  delete rest.type;
  return {
    type: problem.extra.type ?? 'about:blank',
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...rest,
    request_id: requestId,
  };
}

/** Writes a problem document. */
export function sendProblem(res: Response, problem: HttpProblem, requestId: string | undefined): void {
  if (problem.extra.headers) res.set(problem.extra.headers);
  res.status(problem.status).type(PROBLEM_JSON).json(problemBody(problem, requestId));
}

/** The same answer on a bare Node response, for handlers that run before Express. */
export function writeProblem(res: ServerResponse, problem: HttpProblem, requestId: string | undefined): void {
  res.writeHead(problem.status, { ...problem.extra.headers, 'content-type': `${PROBLEM_JSON}; charset=utf-8` });
  res.end(JSON.stringify(problemBody(problem, requestId)));
}

/**
 * Database refusals that input validation should have caught: a backstop, so a gap in
 * validation is still a 4xx (and the transaction was rolled back).
 */
function fromDatabaseError(error: Error): HttpProblem | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  if (code === '23505') return new HttpProblem(409, 'Conflict', 'This would duplicate an existing record', { type: 'https://figdesk.dev/problems/conflict' });
  if (code === '23503') return new HttpProblem(409, 'Conflict', 'This refers to a record that does not exist or is still referenced', { type: 'https://figdesk.dev/problems/conflict' });
  if (code === '23514' || code.startsWith('22')) return new HttpProblem(400, 'Bad request', 'A value is out of the accepted range', { type: 'https://figdesk.dev/problems/validation' });
  if (code === '40P01' || code === '40001') return new HttpProblem(503, 'Service unavailable', 'Too many concurrent changes of the same records; retry', { type: 'https://figdesk.dev/problems/contention', headers: { 'Retry-After': '1' } });
  return undefined;
}

/** Known errors as problems: database refusals, and what express and its body parser raise for malformed requests. */
function knownProblem(error: unknown): HttpProblem | undefined {
  if (!(error instanceof Error)) return undefined;
  const fromDatabase = fromDatabaseError(error);
  if (fromDatabase) return fromDatabase;
  const status = (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode;
  const type = (error as { type?: string }).type;
  if (type === 'entity.parse.failed') return new HttpProblem(400, 'Bad request', 'The body is not valid JSON');
  if (type === 'entity.too.large') return new HttpProblem(413, 'Content too large', 'The body is larger than this endpoint accepts');
  if (status && status >= 400 && status < 500) return new HttpProblem(status, STATUS_CODES[status] ?? 'Bad request', error.message);
  return undefined;
}

/** The one error middleware: typed problems as they are, anything else as a logged 500. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const requestId = req.id as string | undefined;
    const problem = error instanceof HttpProblem ? error : knownProblem(error);
    // A 5xx is logged once, by pino-http's line for the request, with the real error attached.
    const logged = res as typeof res & { err?: unknown };
    if (problem) {
      if (problem.status >= 500) logged.err = error;
      return sendProblem(res, problem, requestId);
    }
    logged.err = error;
    if (!req.log) logger.error({ err: error }, 'unhandled error');
    if (res.headersSent) return res.end();
    sendProblem(res, new HttpProblem(500, 'Internal server error', 'An unexpected error occurred; quote the request id when reporting it'), requestId);
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) =>
  next(new HttpProblem(404, 'Not found', `No route for ${req.method} ${req.path}`, { type: 'https://figdesk.dev/problems/no-route' }));
