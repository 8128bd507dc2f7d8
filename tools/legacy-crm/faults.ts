import type { RequestHandler, Response } from 'express';
import { z } from 'zod';
import { sendLegacyError } from './legacy-error.js';

export const FaultSettings = z.strictObject({
  latencyMs: z.number().int().min(0).max(600_000),
  jitterMs: z.number().int().min(0).max(600_000),
  errorRate: z.number().min(0).max(1),
  hang: z.boolean(),
});
/** How badly the simulated legacy system behaves; changeable at run time through its admin API. */
export type FaultSettings = z.infer<typeof FaultSettings>;

export const FaultSettingsPatch = FaultSettings.partial();
export type FaultSettingsPatch = z.infer<typeof FaultSettingsPatch>;

/**
 * The simulator's misbehaviour: a delay, then a 500 with probability `errorRate`, or in hang
 * mode no answer at all. Hung requests are tracked so stopping the simulator need not wait for
 * the server's shutdown deadline.
 */
export class Faults {
  private settings: FaultSettings;
  private readonly hung = new Set<Response>();
  private stopping = false;

  constructor(initial: FaultSettings, private readonly random: () => number = Math.random) {
    this.settings = FaultSettings.parse(initial);
  }

  current(): FaultSettings {
    return { ...this.settings };
  }

  update(patch: FaultSettingsPatch): FaultSettings {
    this.settings = FaultSettings.parse({ ...this.settings, ...patch });
    return this.current();
  }

  /** Cuts every hung request and every one that would hang from now on. */
  shutdown(): void {
    this.stopping = true;
    for (const response of this.hung) response.destroy();
    this.hung.clear();
  }

  /** Applies the current faults to one API request. */
  readonly middleware: RequestHandler = (_req, res, next) => {
    const proceed = () => {
      if (res.destroyed) return;
      // Read after the delay: an operator may have changed the faults meanwhile. A dead system
      // answers nothing, not even an error, so hang wins over errorRate.
      if (this.settings.hang) return this.hold(res);
      if (this.settings.errorRate > 0 && this.random() < this.settings.errorRate) {
        return sendLegacyError(res, 500, 'INTERNAL_ERROR', 'An unexpected error occurred (simulated fault).');
      }
      next();
    };
    const { latencyMs, jitterMs } = this.settings;
    const delay = Math.ceil(latencyMs + this.random() * jitterMs);
    if (delay === 0) return proceed();
    const timer = setTimeout(proceed, delay);
    // A caller that gives up during the delay leaves nothing behind.
    res.once('close', () => clearTimeout(timer));
  };

  private hold(res: Response): void {
    if (this.stopping) {
      res.destroy();
      return;
    }
    this.hung.add(res);
    res.once('close', () => this.hung.delete(res));
  }
}
