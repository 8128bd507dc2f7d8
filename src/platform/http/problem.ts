/** RFC 9457 problem details. Domain code throws these; one middleware renders them. */
export interface FieldProblem {
  /** JSON pointer into the request part, e.g. `#/title`. */
  pointer: string;
  /** Which part of the request: body, query, params or header. */
  location: 'body' | 'query' | 'params' | 'header';
  detail: string;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: { type?: string; errors?: FieldProblem[]; headers?: Record<string, string>; [key: string]: unknown } = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }
}

const typeBase = 'https://figdesk.dev/problems/';

export const BadRequest = (detail: string, errors?: FieldProblem[]) =>
  new HttpProblem(400, 'Bad request', detail, { type: `${typeBase}validation`, errors });
export const Unauthorized = (detail: string) =>
  new HttpProblem(401, 'Unauthorized', detail, { type: `${typeBase}unauthorized`, headers: { 'WWW-Authenticate': 'Bearer realm="figdesk"' } });
export const Forbidden = (detail: string) => new HttpProblem(403, 'Forbidden', detail, { type: `${typeBase}forbidden` });
export const NotFound = (resource: string, id: string) =>
  new HttpProblem(404, 'Not found', `${resource} ${id} does not exist`, { type: `${typeBase}not-found` });
export const Conflict = (detail: string, extra: Record<string, unknown> = {}) =>
  new HttpProblem(409, 'Conflict', detail, { type: `${typeBase}conflict`, ...extra });
export const PreconditionFailed = (detail: string) =>
  new HttpProblem(412, 'Precondition failed', detail, { type: `${typeBase}stale-version` });
export const PreconditionRequired = (detail: string) =>
  new HttpProblem(428, 'Precondition required', detail, { type: `${typeBase}if-match-required` });
export const ServiceUnavailable = (detail: string) =>
  new HttpProblem(503, 'Service unavailable', detail, { type: `${typeBase}unavailable` });
