// One service frame for bench:frame, run compiled (dist/, built by the bench's npm script) as
// the services run: the platform's createApp with a JSON read, served by `listen` with or
// without the Express prototypes set at birth. argv: born|reparented, port.
// Run with --trace-gc, stdout to a file: the parent reads the collector's lines from it afterwards,
// and asks for `performance.now()` (close to V8's clock in those lines) to mark its window.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { z } from 'zod';
import { createApi, createApp } from '../../dist/src/platform/http/index.js';
import { listen } from '../../dist/src/platform/lifecycle/index.js';
import { createLogger } from '../../dist/src/platform/logging/index.js';
import { createMetrics } from '../../dist/src/platform/metrics/index.js';

const [variant, port] = process.argv.slice(2);
const api = createApi(async () => {
  throw new Error('the benchmark route is public');
});
// Shaped like the clients service's GET /:id: a validated id, a record, request logging, metrics.
api.add(
  { method: 'get', path: '/api/v1/things/:id', summary: 'A thing', tags: [], access: 'public', params: z.object({ id: z.uuid() }), responses: { 200: { description: 'The thing' } } },
  async ({ params }, _req, res) => {
    await Promise.resolve();
    const now = new Date().toISOString();
    res.set('ETag', '"1"').json({ id: params.id, name: 'Anna Deluca', phone: '+49 30 1234567', email: null, legacy_id: 100001, version: 1, created_at: now, updated_at: now });
  },
);
// Request logs share stdout with the collector's trace; the parent keeps only the trace's lines.
// (A pipe read by the busy load generator held log lines back, and they outlived scavenges.)
const logger = createLogger('info', 'frame');
const { app } = createApp({ logger, metrics: createMetrics('frame'), readiness: {}, routers: [api.router] });
await listen(app, { host: '127.0.0.1', port: Number(port), shutdownTimeoutMs: 1_000, ...(variant === 'born' ? { prototypes: { request: app.request, response: app.response } } : {}) });
process.on('message', () => process.send?.(performance.now()));
process.send?.('ready');
