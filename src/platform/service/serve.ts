import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from 'express';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { createMetrics, type Metrics } from '../metrics/index.js';
import { createApp, openApiDocument, type Api, type ReadinessSource } from '../http/index.js';
import { listen } from '../lifecycle/index.js';

export interface RunningService {
  name: string;
  url: string;
  port: number;
  /** Fails readiness, drains in-flight requests, then releases the service's own resources. */
  stop(): Promise<void>;
}

export interface ServeOptions {
  name: string;
  config: Pick<Config, 'HOST' | 'SHUTDOWN_TIMEOUT_MS' | 'SHUTDOWN_DRAIN_DELAY_MS'>;
  port: number;
  logger: Logger;
  readiness: ReadinessSource;
  api?: Api;
  /** Overrides the OpenAPI document built from `api` (the edge merges its upstreams'). */
  openApi?: () => unknown | Promise<unknown>;
  routers?: Router[];
  metrics?: Metrics;
  /**
   * Tried before Express on every request: true when it took the request. For the few hot
   * routes whose cost Express's frame would dominate (the edge's pass-through reads).
   */
  fastPath?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Released after the server has drained (pools, timers). */
  release?: () => Promise<void>;
}

/** Runs one service's HTTP frame on its port. */
export async function serve(options: ServeOptions): Promise<RunningService> {
  const metrics = options.metrics ?? createMetrics(options.name);
  const api = options.api;
  const openApi =
    options.openApi ??
    (api ? () => openApiDocument({ title: `figdesk ${options.name}`, version: '1.0.0' }, api.routes) : undefined);
  const { app, markStopping } = createApp({
    logger: options.logger,
    metrics,
    readiness: options.readiness,
    openApi,
    routers: [...(api ? [api.router] : []), ...(options.routers ?? [])],
  });
  const fastPath = options.fastPath;
  const handler = fastPath ? (req: IncomingMessage, res: ServerResponse) => fastPath(req, res) || app(req, res) : app;
  const server = await listen(handler, {
    host: options.config.HOST,
    port: options.port,
    shutdownTimeoutMs: options.config.SHUTDOWN_TIMEOUT_MS,
    // Born with Express's prototypes, so Express need not re-parent them (lifecycle/http-server.ts).
    prototypes: { request: app.request, response: app.response },
  });
  options.logger.info({ url: server.url }, `${options.name} listening`);
  return {
    name: options.name,
    url: server.url,
    port: server.port,
    async stop() {
      markStopping();
      if (options.config.SHUTDOWN_DRAIN_DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, options.config.SHUTDOWN_DRAIN_DELAY_MS));
      await server.close();
      await options.release?.();
    },
  };
}
