import { Agent, request } from 'undici';
import { encodeCursor, withDeadline } from '../../platform/http/index.js';

export interface UpstreamAnswer<T = unknown> {
  status: number;
  body: T;
}

/** Our service failed to answer a merge route: the edge says 502, it cannot merge without it. */
export class UpstreamFailed extends Error {
  /** The service's status when it answered; undefined when it did not. */
  readonly status?: number;
  constructor(readonly service: string, message: string, options?: { cause?: unknown; status?: number }) {
    super(`${service}: ${message}`, options);
    this.name = 'UpstreamFailed';
    this.status = options?.status;
  }
}

export interface Page<T> {
  data: T[];
  page: { next_cursor: string | null; has_more: boolean };
}

/**
 * JSON calls from the edge to one of our services (the merge routes and migration), over a
 * keep-alive pool. Reads carry the caller's token; writes of migration carry the proxy's own.
 */
export function serviceClient(name: string, baseUrl: string, timeoutMs = 10_000) {
  const dispatcher = new Agent({ connections: 128, keepAliveTimeout: 30_000 });
  const base = baseUrl.replace(/\/$/, '');

  async function call<T>(method: 'GET' | 'POST', path: string, authorization: string, options: { query?: Record<string, string | number | undefined>; body?: unknown; requestId?: string } = {}): Promise<UpstreamAnswer<T>> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) search.set(key, String(value));
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.requestId) headers['x-request-id'] = options.requestId;
    try {
      return await withDeadline(timeoutMs, async (signal) => {
        const response = await request(`${base}${path}${search.size ? `?${search}` : ''}`, {
          method,
          dispatcher,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal,
        });
        const text = await response.body.text();
        return { status: response.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
      });
    } catch (error) {
      throw new UpstreamFailed(name, `no usable answer from ${method} ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  return {
    name,
    call,
    /** A page of the service's own list in id order, after `afterId`. */
    async listAfter<T>(path: string, query: Record<string, string | number | undefined>, afterId: string | null, limit: number, authorization: string, requestId?: string): Promise<Page<T>> {
      const answer = await call<Page<T>>('GET', path, authorization, { query: { ...query, limit, cursor: afterId ? encodeCursor(afterId) : undefined }, requestId });
      if (answer.status !== 200) throw new UpstreamFailed(name, `GET ${path} answered ${answer.status}`, { status: answer.status });
      return answer.body;
    },
    close: () => dispatcher.close(),
  };
}

export type ServiceClient = ReturnType<typeof serviceClient>;

/** What a call on a caller's behalf carries on: their token and the request id. */
export const forwardedFrom = (req: { headers: { authorization?: string }; id?: unknown }) => ({
  authorization: req.headers.authorization ?? '',
  requestId: req.id === undefined ? undefined : String(req.id),
});
