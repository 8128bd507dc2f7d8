import type { RequestHandler } from 'express';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per service, so that the all-in-one process still shows each service
 * only its own series on its own /metrics.
 */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  /** RED metrics labelled by route template (never the raw path, which would explode cardinality). */
  const httpMiddleware: RequestHandler = (req, res, next) => {
    const end = httpDuration.startTimer();
    res.once('finish', () => {
      const template = res.locals.routeLabel ?? (req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched');
      end({ method: req.method, route: template, status: String(res.statusCode) });
    });
    next();
  };

  return { registry, httpDuration, httpMiddleware };
}

export type Metrics = ReturnType<typeof createMetrics>;
