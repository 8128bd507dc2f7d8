import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../logging/index.js';
import { serve } from './index.js';

describe('stopping a service', () => {
  it('fails readiness first and keeps serving for SHUTDOWN_DRAIN_DELAY_MS, then closes the listener', async () => {
    const service = await serve({
      name: 'drain-test',
      config: { HOST: '127.0.0.1', SHUTDOWN_TIMEOUT_MS: 1_000, SHUTDOWN_DRAIN_DELAY_MS: 400 },
      port: 0,
      logger: createLogger('silent'),
      readiness: {},
    });
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
    const stopped = service.stop();
    await sleep(100);
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(503); // the balancer's cue
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200); // still answering meanwhile
    await stopped;
    expect(await fetch(`${service.url}/health/live`).then(() => 'answered', () => 'closed')).toBe('closed');
  });
});
