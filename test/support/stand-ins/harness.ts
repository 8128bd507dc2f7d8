import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// What the loopback stand-ins share: the record of calls and deliveries, the switches for the
// ways a service fails (failNext, down, hang, latency), waiting for deliveries, reset and close.
// A stand-in brings only how it reads a request and what it answers.

/** What a recorded call was answered (status undefined: never answered). */
export interface Recorded {
  status: number | undefined;
  response: unknown;
}

/** An answer to write; `delivered` counts only once the answer reached the client. */
export interface Reply<Delivery> {
  status: number;
  /** A string goes out as text/plain, anything else as JSON. */
  payload: unknown;
  headers?: Record<string, string>;
  delivered?: Delivery;
}

/** A failure failNext queued, for the stand-in's next send to answer with. */
export interface Failure {
  status: number;
  retryAfter: number | undefined;
}

/** The controls every stand-in gives a test. */
export interface StandIn<Call extends Recorded, Delivery> {
  readonly baseUrl: string;
  readonly calls: Call[];
  failNext(count: number, status?: number, retryAfterSeconds?: number): void;
  setDown(down: boolean): void;
  setHang(hang: boolean): void;
  setLatency(ms: number): void;
  waitForDelivered(count: number, timeoutMs?: number): Promise<Delivery[]>;
  reset(): void;
  close(): Promise<void>;
}

/**
 * Reads one request: records its call with `harness.record` as soon as it arrives, reads the body
 * into it, and returns how to answer once the switches let the request through.
 */
export type Receive<Call, Delivery> = (req: IncomingMessage, url: URL) => Promise<{ call: Call; reply: () => Reply<Delivery> }>;

export interface Harness<Call extends Recorded, Delivery> {
  readonly calls: Call[];
  /** The deliveries so far, in order. */
  readonly delivered: Delivery[];
  /** Adds a call to `calls` and returns it. */
  record(call: Call): Call;
  /** The next failure failNext queued, used up; undefined when none is left. */
  nextFailure(): Failure | undefined;
  /** Starts the server on a free loopback port. */
  listen(receive: Receive<Call, Delivery>): Promise<StandIn<Call, Delivery>>;
}

interface Waiter {
  count: number;
  resolve(): void;
  reject(error: Error): void;
}

/** The shared machinery of a stand-in; `label` ('SMS stand-in') names it in errors. */
export function standInHarness<Call extends Recorded, Delivery>(label: string): Harness<Call, Delivery> {
  const calls: Call[] = [];
  const delivered: Delivery[] = [];
  const failures: Failure[] = [];
  const hung = new Set<ServerResponse>();
  const waiters = new Set<Waiter>();
  let down = false;
  let hang = false;
  let latencyMs = 0;
  let closing: Promise<void> | undefined;

  const notify = () => {
    for (const waiter of waiters) if (delivered.length >= waiter.count) waiter.resolve();
  };

  const gone = (res: ServerResponse) => closing !== undefined || res.destroyed || !res.socket || res.socket.destroyed;

  /** Writes the answer unless the client is gone; only then does the call count as answered. */
  function answer(res: ServerResponse, call: Call, reply: Reply<Delivery>): boolean {
    if (gone(res)) return false;
    const text = typeof reply.payload === 'string' ? reply.payload : JSON.stringify(reply.payload);
    const type = typeof reply.payload === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
    res.writeHead(reply.status, { ...reply.headers, 'content-type': type, 'content-length': Buffer.byteLength(text) }).end(text);
    call.status = reply.status;
    call.response = reply.payload;
    return true;
  }

  async function handle(receive: Receive<Call, Delivery>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { call, reply } = await receive(req, new URL(req.url ?? '/', 'http://stand-in'));
    // Unref'd: a delayed answer must not keep the process alive; after close() it is simply dropped.
    if (latencyMs > 0) await sleep(latencyMs, undefined, { ref: false });
    // Read after the delay, so a switch flipped meanwhile applies to requests in flight.
    if (hang) return void hung.add(res.once('close', () => hung.delete(res)));
    // A dead service behind a proxy: the proxy answers, in text, whatever the request.
    if (down) return void answer(res, call, { status: 502, payload: 'Bad Gateway' });
    // A client that gave up during the delay neither uses up a failNext nor gets a message sent.
    if (gone(res)) return;
    const result = reply();
    if (answer(res, call, result) && result.delivered !== undefined) {
      delivered.push(result.delivered);
      notify();
    }
  }

  async function listen(receive: Receive<Call, Delivery>): Promise<StandIn<Call, Delivery>> {
    // A request whose client went away mid-body is just cut; it stays recorded as never answered.
    const server = createServer((req, res) => void handle(receive, req, res).catch(() => res.destroy()));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;

    return {
      baseUrl: `http://127.0.0.1:${port}`,
      calls,
      failNext(count, status = 500, retryAfterSeconds) {
        for (let i = 0; i < count; i++) failures.push({ status, retryAfter: retryAfterSeconds });
      },
      setDown: (value) => void (down = value),
      setHang: (value) => void (hang = value),
      setLatency: (ms) => void (latencyMs = Math.max(0, ms)),
      waitForDelivered(count, timeoutMs = 5000) {
        return new Promise<Delivery[]>((resolve, reject) => {
          const settle = (error?: Error) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            if (error) reject(error);
            else resolve([...delivered]);
          };
          const waiter: Waiter = { count, resolve: () => settle(), reject: settle };
          const timer = setTimeout(() => settle(new Error(`${label}: ${delivered.length} of ${count} messages delivered after ${timeoutMs} ms`)), timeoutMs);
          waiters.add(waiter);
          notify();
        });
      },
      reset() {
        calls.length = 0;
        delivered.length = 0;
        failures.length = 0;
        down = hang = false;
        latencyMs = 0;
        // Hung requests would never be answered now; cut them so they do not leak into the next test.
        for (const res of hung) res.destroy();
        hung.clear();
      },
      close() {
        closing ??= new Promise<void>((resolve) => {
          for (const res of hung) res.destroy();
          for (const waiter of waiters) waiter.reject(new Error(`${label} closed`));
          server.close(() => resolve());
          // close() alone waits for requests in flight, and hung ones never finish.
          server.closeAllConnections();
        });
        return closing;
      },
    };
  }

  return {
    calls,
    delivered,
    record(call) {
      calls.push(call);
      return call;
    },
    nextFailure: () => failures.shift(),
    listen,
  };
}
