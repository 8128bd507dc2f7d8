import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logging/index.js';

export interface WorkLoop {
  /** Runs a round soon: work was just written by this process. */
  wake(): void;
  /** Waits for the round in progress, then runs no more. */
  stop(): Promise<void>;
}

export interface WorkLoopOptions {
  name: string;
  idleMs: number;
  /**
   * The least time from one round's start to the next. Under a steady stream of wakes, work
   * then gathers into fewer, larger rounds instead of one round per item; a wake after a quiet
   * spell still runs at once. 0 (the default) runs rounds back to back.
   */
  minRoundIntervalMs?: number;
  logger: Logger;
  /** One round; returns how much it did. `startedAt`: the loop's clock (performance.now()) when it started the round. */
  round: (startedAt: number) => Promise<number>;
}

/**
 * Runs `round` until it finds nothing to do, then again every `idleMs` (work written by other
 * processes) or at once on `wake()`. Rounds never overlap; a failing round is logged and the
 * loop goes on after `idleMs`, so a database blip does not end a worker.
 */
export function startWorkLoop(options: WorkLoopOptions): WorkLoop {
  let stopped = false;
  let lastRoundAt = -Infinity;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(kick, delayMs);
    timer.unref();
  };

  async function paced(): Promise<number> {
    // Timers count from the event loop's cached clock and may fire a little early: check again.
    const due = lastRoundAt + (options.minRoundIntervalMs ?? 0);
    while (performance.now() < due) await sleep(Math.ceil(due - performance.now()));
    if (stopped) return 0;
    lastRoundAt = performance.now();
    return options.round(lastRoundAt);
  }

  async function drain(): Promise<void> {
    let delay = options.idleMs;
    try {
      // A round that did something may have left more: go on until one finds nothing.
      while (!stopped && (await paced()) > 0);
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
