import { randomUUID } from 'node:crypto';
import express, { type Express, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import type { Logger } from '../logging/index.js';
import type { Metrics } from '../metrics/index.js';
import { notFoundHandler, problemHandler } from './error-handler.js';
import { healthRoutes, type ReadinessSource } from './health.js';

const SAFE_REQUEST_ID = /^[A-Za-z0-9\-_.:]{1,128}$/;

/** The caller's X-Request-Id when it is safe to log, else a new one: one id follows a request across services. */
export const requestIdFrom = (given: string | string[] | undefined): string => (typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID());

export interface AppOptions {
  logger: Logger;
  metrics: Metrics;
  readiness: ReadinessSource;
  /** Serves `/api/v1/openapi.json`; `/api/docs` renders it. */
  openApi?: () => unknown | Promise<unknown>;
  /** The service's own routes (an Api router, a proxy, …), mounted after the platform's. */
  routers: Router[];
}

export interface App {
  app: Express;
  /** Set when shutdown starts, so readiness fails before the listener closes. */
  markStopping(): void;
}

/** The HTTP frame every service shares: request id, logs, metrics, health, docs, one error handler. */
export function createApp(options: AppOptions): App {
  let stopping = false;
  const app = express();
  app.disable('x-powered-by');
  // Resources set their own ETag (their version); hashing every list body for one costs CPU for nothing.
  app.set('etag', false);
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');

  app.use(
    pinoHttp({
      logger: options.logger,
      // The caller's id is kept when it is safe to log, so one id follows a request across services.
      genReqId: (req, res) => {
        const id = requestIdFrom(req.headers['x-request-id']);
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/metrics' || (req.url ?? '').startsWith('/health/') },
      // Query strings may carry secrets (?access_token=…): the log gets the path only.
      serializers: {
        req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0], remoteAddress: req.remoteAddress }),
      },
    }),
  );
  app.use(options.metrics.httpMiddleware);

  app.use(healthRoutes(options.readiness, () => stopping));
  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  if (options.openApi) {
    const document = options.openApi;
    app.get('/api/v1/openapi.json', async (_req, res) => {
      res.json(await document());
    });
    app.use('/api/docs', swaggerUi.serveFiles(undefined, { swaggerUrl: '/api/v1/openapi.json' }), swaggerUi.setup(undefined, { swaggerUrl: '/api/v1/openapi.json' }));
  }

  for (const router of options.routers) app.use(router);
  app.use(notFoundHandler);
  app.use(problemHandler(options.logger));

  return { app, markStopping: () => { stopping = true; } };
}
