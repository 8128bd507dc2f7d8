import type { Logger } from '../logging/index.js';

interface Stoppable {
  name: string;
  stop: () => Promise<void> | void;
}

/**
 * Starts components in order and stops them in reverse: the edge stops taking requests
 * before the services behind it, and pools close only after every server has drained.
 */
export class Lifecycle {
  private readonly started: Stoppable[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  async start<T>(name: string, start: () => Promise<T>, stop: (value: T) => Promise<void> | void): Promise<T> {
    const value = await start();
    this.started.push({ name, stop: () => stop(value) });
    return value;
  }

  /** Registers something already running (a pool, a timer) to be stopped in order. */
  add(name: string, stop: () => Promise<void> | void): void {
    this.started.push({ name, stop });
  }

  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      for (const component of [...this.started].reverse()) {
        try {
          await component.stop();
          this.logger.debug({ component: component.name }, 'stopped');
        } catch (error) {
          this.logger.error({ err: error, component: component.name }, 'failed to stop cleanly');
        }
      }
    })());
  }

  /** SIGTERM/SIGINT stop everything in order; a second signal exits at once. */
  stopOnSignals(exit: (code: number) => void = (code) => process.exit(code)): void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) return exit(1);
      signalled = true;
      this.logger.info({ signal }, 'shutting down');
      void this.stop().then(() => exit(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
}
