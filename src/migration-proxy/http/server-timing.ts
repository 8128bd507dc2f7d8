/**
 * Time spent waiting on each source of a merged answer, sent as a `Server-Timing` header
 * (W3C Server Timing): browsers' developer tools show it beside the request, and it tells an
 * operator whether a slow search waited on legacy, on our service, or on the edge itself.
 * A source asked more than once (another merge round) adds up.
 */
export class SourceTimings {
  private readonly spent = new Map<string, number>();

  /** `fn`, timed under `name`; undefined stays undefined (a source that is not asked). */
  timed<Args extends unknown[], Result>(name: string, fn: ((...args: Args) => Promise<Result>) | undefined): ((...args: Args) => Promise<Result>) | undefined {
    if (!fn) return undefined;
    return async (...args: Args) => {
      const started = performance.now();
      try {
        return await fn(...args);
      } finally {
        this.spent.set(name, (this.spent.get(name) ?? 0) + performance.now() - started);
      }
    };
  }

  /** `legacy;dur=63.1, clients;dur=4.2`: milliseconds, in the order the sources first answered. */
  header(): string {
    return [...this.spent].map(([name, ms]) => `${name};dur=${ms.toFixed(1)}`).join(', ');
  }
}
