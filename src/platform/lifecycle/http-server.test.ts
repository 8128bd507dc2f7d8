import { describe, expect, it } from '@jest/globals';
import { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
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
