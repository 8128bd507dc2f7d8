import { describe, expect, it } from '@jest/globals';
import { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { listen } from './index.js';

/** A promise and its resolve (Promise.withResolvers arrives with Node 22). */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('graceful shutdown of an HTTP server', () => {
  // Each test closes the server once its handler holds the request: a connection still in the
  // listen backlog when the server closes is reset, not in flight (CI, under load, saw that).
  it('finishes the request in flight, then stops accepting connections', async () => {
    const arrived = signal();
    const server = await listen(
      async (_req, res) => {
        arrived.resolve();
        await sleep(300);
        res.end('done');
      },
      { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 5_000 },
    );
    const inFlight = fetch(server.url).then(async (response) => ({ status: response.status, body: await response.text() }));
    await arrived.promise;
    const closed = server.close();
    expect(await inFlight).toEqual({ status: 200, body: 'done' });
    await closed;
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('cuts requests that outlive the shutdown timeout', async () => {
    const arrived = signal();
    const server = await listen(() => arrived.resolve(), { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 200 });
    const hanging = fetch(server.url).then(() => 'answered', () => 'cut');
    await arrived.promise;
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await hanging).toBe('cut');
  });
});

describe('requests born with the framework prototypes', () => {
  it('gives every request and response the prototypes passed, before any handler runs', async () => {
    const request = Object.create(IncomingMessage.prototype) as IncomingMessage;
    const response = Object.create(ServerResponse.prototype) as ServerResponse;
    const seen: boolean[] = [];
    const server = await listen(
      (req, res) => {
        seen.push(Object.getPrototypeOf(req) === request && Object.getPrototypeOf(res) === response && req instanceof IncomingMessage && res instanceof ServerResponse);
        res.end(`${req.method} ${req.url}`);
      },
      { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 1_000, prototypes: { request, response } },
    );
    try {
      const answers = await Promise.all([fetch(`${server.url}/a`), fetch(`${server.url}/b`, { method: 'POST', body: 'x' })]);
      expect(await Promise.all(answers.map((answer) => answer.text()))).toEqual(['GET /a', 'POST /b']);
      expect(seen).toEqual([true, true]);
    } finally {
      await server.close();
    }
  });

  it('lets Express find its own prototypes already in place', async () => {
    const app = express();
    const reparented: boolean[] = [];
    const server = await listen(
      (req, res) => {
        reparented.push(Object.getPrototypeOf(req) !== app.request || Object.getPrototypeOf(res) !== app.response);
        app(req, res);
      },
      { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 1_000, prototypes: { request: app.request, response: app.response } },
    );
    app.get('/hello', (req, res) => {
      res.json({ hello: req.query.name, ip: req.ip });
    });
    try {
      const answer = await fetch(`${server.url}/hello?name=figdesk`);
      expect(await answer.json()).toEqual({ hello: 'figdesk', ip: '127.0.0.1' });
      expect(reparented).toEqual([false]);
    } finally {
      await server.close();
    }
  });
});
