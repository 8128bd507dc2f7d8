import type { Logger } from '../logging/index.js';

export interface WorkLoop {
  /** Runs a round soon: work was just written by this process. */
  wake(): void;
  /** Waits for the round in progress, then runs no more. */
  stop(): Promise<void>;
}

/**
 * Runs `round` until it finds nothing to do, then again every `idleMs` (work written by other
 * processes) or at once on `wake()`. Rounds never overlap; a failing round is logged and the
 * loop goes on after `idleMs`, so a database blip does not end a worker.
 */
export function startWorkLoop(options: { name: string; idleMs: number; logger: Logger; round: () => Promise<number> }): WorkLoop {
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(kick, delayMs);
    timer.unref();
  };

  async function drain(): Promise<void> {
    let delay = options.idleMs;
    try {
      // A round that did something may have left more: go on until one finds nothing.
      while (!stopped && (await options.round()) > 0);
    } catch (error) {
      options.logger.error({ err: error, worker: options.name }, `${options.name}: a round failed; trying again shortly`);
    } finally {
      running = undefined;
      if (again) {
        again = false;
        delay = 0;
      }
      schedule(delay);
    }
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain();
  }

  schedule(0);
  return {
    wake: kick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
