import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent } from 'node:http';
import { Router, type RequestHandler } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { authenticate, type Verify } from '../../platform/auth/index.js';
import { HttpProblem, sendProblem } from '../../platform/http/index.js';
import type { Logger } from '../../platform/logging/index.js';

export interface PassThroughRoute {
  /** Path prefix at the edge, e.g. `/api/v1/incidents`. */
  prefix: string;
  target: string;
  /** Name used in logs and as the metrics route label. */
  name: string;
  /** No token at the edge: webhooks, which the service checks by their own secret or signature. */
  public?: boolean;
}

/** pino-http gives every request its id and a logger bound to it. */
const requestIdOf = (req: IncomingMessage) => (req.id === undefined ? undefined : String(req.id));

const TIMED_OUT = new Set(['ECONNRESET', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/** Streams requests to the services behind the edge, bodies untouched, over one keep-alive agent. */
export function createPassThrough(logger: Logger) {
  // Without keep-alive every request pays a TCP handshake and leaves a socket in TIME_WAIT.
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000 });

  /** A middleware that streams the request to `target` (the path unchanged). */
  function to(target: string, name: string): RequestHandler {
    return createProxyMiddleware<IncomingMessage, ServerResponse>({
      target,
      agent,
      xfwd: true,
      proxyTimeout: 30_000,
      on: {
        proxyReq: (proxyReq, req) => {
          const id = requestIdOf(req);
          if (id) proxyReq.setHeader('X-Request-Id', id);
        },
        error: (error, req, res) => {
          (req.log ?? logger).error({ err: error, upstream: name }, 'upstream failed');
          if (!('setHeader' in res) || res.headersSent) return res.end();
          const timedOut = TIMED_OUT.has((error as NodeJS.ErrnoException).code ?? '');
          const problem = timedOut
            ? new HttpProblem(504, 'Gateway timeout', `The ${name} service did not answer in time`, { type: 'https://figdesk.dev/problems/upstream-timeout' })
            : new HttpProblem(502, 'Bad gateway', `The ${name} service cannot be reached`, { type: 'https://figdesk.dev/problems/upstream' });
          sendProblem(res as never, problem, requestIdOf(req));
        },
      },
    }) as unknown as RequestHandler;
  }

  return { to, close: () => agent.destroy() };
}

/**
 * Streams requests under each prefix to its service after the edge has checked the token (the
 * service checks it again, and the roles); public routes (webhooks) go through unchecked.
 */
export function passThroughRouter(routes: PassThroughRoute[], verify: Verify, passThrough: ReturnType<typeof createPassThrough>) {
  const router = Router();
  for (const route of routes) {
    const proxy = passThrough.to(route.target, route.name);
    router.use((req, res, next) => {
      if (req.path !== route.prefix && !req.path.startsWith(`${route.prefix}/`)) return next();
      res.locals.routeLabel = `${route.prefix}/*`;
      if (route.public) return proxy(req, res, next);
      authenticate(verify)(req, res, (error?: unknown) => (error ? next(error) : proxy(req, res, next)));
    });
  }
  return router;
}
