import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '../logging/index.js';
import { HttpProblem } from './problem.js';

export const PROBLEM_JSON = 'application/problem+json';

/** Writes a problem document; the request id ties the answer to the log lines. */
export function sendProblem(res: Response, problem: HttpProblem, requestId: string | undefined): void {
  const { headers, type, ...rest } = problem.extra;
  if (headers) res.set(headers);
  res.status(problem.status).type(PROBLEM_JSON).json({
    type: type ?? 'about:blank',
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...rest,
    request_id: requestId,
  });
}

/** Errors that express and its body parser raise for malformed requests. */
function fromFrameworkError(error: unknown): HttpProblem | undefined {
  if (!(error instanceof Error)) return undefined;
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
    const problem = error instanceof HttpProblem ? error : fromFrameworkError(error);
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
