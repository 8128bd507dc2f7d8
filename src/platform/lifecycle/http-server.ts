import { createServer, type Server, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), then closes what is left. */
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one) and knows how to drain. */
export async function listen(handler: RequestListener, options: { host: string; port: number; shutdownTimeoutMs: number }): Promise<RunningServer> {
  const server = createServer({ keepAliveTimeout: 65_000 }, handler);
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
