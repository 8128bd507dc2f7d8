import { createServer, IncomingMessage, ServerResponse, type Server, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), then closes what is left. */
  close(): Promise<void>;
}

/** The prototypes a framework gives every request and response (Express: `app.request`, `app.response`). */
export interface MessagePrototypes {
  request: IncomingMessage;
  response: ServerResponse;
}

/**
 * Request and response classes whose instances are born with the given prototypes.
 *
 * Express re-parents every request and response (`Object.setPrototypeOf` in `app.handle`). In
 * V8 that costs each request's objects dearly: with our frame at 500 req/s, scavenges took about
 * 5 ms instead of about 1 ms, a full mark-compact came every few seconds, and a request cost
 * 0.62–0.71 ms of CPU instead of 0.39–0.44 ms (`npm run bench:frame`, decision 7). Born with the prototype,
 * the objects are left as they are by Express's call.
 */
function messageClasses(prototypes: MessagePrototypes) {
  return { IncomingMessage: bornWith(IncomingMessage, prototypes.request), ServerResponse: bornWith(ServerResponse, prototypes.response) };
}

/**
 * A constructor for Node's `Base` whose objects have `prototype`. Node's constructors are plain
 * functions: called on an object made from this function's prototype, they initialise it as
 * their own. (Reflect.construct with this function as new.target also works, but its objects
 * cost more CPU per request than re-parenting did.)
 */
function bornWith<Base extends typeof IncomingMessage | typeof ServerResponse>(base: Base, prototype: InstanceType<Base>): Base {
  function Born(this: InstanceType<Base>, ...args: unknown[]) {
    (base as unknown as (...args: unknown[]) => void).apply(this, args);
  }
  Born.prototype = prototype;
  return Born as unknown as Base;
}

/** Listens on host:port (port 0 picks a free one) and knows how to drain. */
export async function listen(handler: RequestListener, options: { host: string; port: number; shutdownTimeoutMs: number; prototypes?: MessagePrototypes }): Promise<RunningServer> {
  const server = createServer({ keepAliveTimeout: 65_000, ...(options.prototypes ? messageClasses(options.prototypes) : {}) }, handler);
  // Behind a load balancer, idle keep-alive must outlive the balancer's own idle timeout.
  server.headersTimeout = 66_000;
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Idle keep-alive sockets would hold close() open; busy ones get `Connection: close` after their response.
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs);
      server.once('close', () => {
        clearInterval(sweeper);
        clearTimeout(deadline);
      });
    }));

  return { server, port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close };
}
