import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent } from 'node:http';
import { Router } from 'express';
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
}

/**
 * Streams requests under each prefix to its service, bodies untouched, after the edge has
 * checked the token (the service checks it again, and the roles).
 */
export function passThroughRouter(routes: PassThroughRoute[], verify: Verify, logger: Logger): Router {
  const router = Router();
  // Without keep-alive every request pays a TCP handshake and leaves a socket in TIME_WAIT.
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000 });

  for (const route of routes) {
    const proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
      target: route.target,
      agent,
      xfwd: true,
      proxyTimeout: 30_000,
      on: {
        proxyReq: (proxyReq, req) => {
          const id = (req as IncomingMessage & { id?: string }).id;
          if (id) proxyReq.setHeader('X-Request-Id', id);
        },
        error: (error, req, res) => {
          logger.error({ err: error, upstream: route.name, url: req.url }, 'upstream failed');
          if (!('setHeader' in res) || res.headersSent) return res.end();
          const problem = new HttpProblem(502, 'Bad gateway', `The ${route.name} service did not answer`, { type: 'https://figdesk.dev/problems/upstream' });
          sendProblem(res as never, problem, (req as IncomingMessage & { id?: string }).id);
        },
      },
    });
    const matches = (path: string) => path === route.prefix || path.startsWith(`${route.prefix}/`) || path.startsWith(`${route.prefix}?`);
    router.use((req, res, next) => {
      if (!matches(req.path)) return next();
      res.locals.routeLabel = `${route.prefix}/*`;
      authenticate(verify)(req, res, (error?: unknown) => (error ? next(error) : proxy(req, res, next)));
    });
  }
  return router;
}
