import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { listen } from './index.js';

describe('graceful shutdown of an HTTP server', () => {
  it('finishes the request in flight, then stops accepting connections', async () => {
    const server = await listen(
      async (_req, res) => {
        await sleep(300);
        res.end('done');
      },
      { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 5_000 },
    );
    const inFlight = fetch(server.url).then(async (response) => ({ status: response.status, body: await response.text() }));
    await sleep(50);
    const closed = server.close();
    expect(await inFlight).toEqual({ status: 200, body: 'done' });
    await closed;
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('cuts requests that outlive the shutdown timeout', async () => {
    const server = await listen(() => {}, { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 200 });
    const hanging = fetch(server.url).then(() => 'answered', () => 'cut');
    await sleep(50);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await hanging).toBe('cut');
  });
});
