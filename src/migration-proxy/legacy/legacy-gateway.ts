import CircuitBreaker from 'opossum';
import { withDeadline } from '../../platform/http/index.js';
import type { Logger } from '../../platform/logging/index.js';
import type { ProxyMetrics } from '../proxy-metrics.js';
import { LegacyError, type LegacyCrm } from './legacy-crm.adapter.js';

export type LegacyFailure = 'timeout' | 'error' | 'circuit_open';
export type LegacyOutcome = 'ok' | LegacyFailure;

/** Legacy could not answer: too slow, failed, or not asked because the breaker is open. */
export class LegacyUnavailable extends Error {
  constructor(readonly outcome: LegacyFailure, options?: { cause?: unknown }) {
    super(`legacy CRM unavailable: ${outcome}`, options);
    this.name = 'LegacyUnavailable';
  }
}

export interface GatewayOptions {
  timeoutMs: number;
  /** The breaker opens above this share (percent) of failed calls… */
  errorPercent: number;
  /** …once this many calls were made in its rolling 10 s window; this many failures in a row open it as well. */
  minCalls: number;
  /** Time an open breaker waits before one trial call (half-open). */
  resetMs: number;
}

type Operation = <T>(crm: LegacyCrm, signal: AbortSignal) => Promise<T>;

const isRefusal = (error: unknown) => error instanceof LegacyError && error.status !== undefined && error.status >= 400 && error.status < 500;

/** Marks a call that ran out of time, whatever error the client library reported for the abort. */
class DeadlinePassed extends Error {
  constructor(options: { cause: unknown }) {
    super('legacy did not answer in time', options);
    this.name = 'DeadlinePassed';
  }
}

/**
 * Every call to legacy goes through here: a deadline per call (the request is aborted, so a
 * hung legacy holds no sockets), a circuit breaker shared by all calls, and metrics.
 */
export function legacyGateway(crm: LegacyCrm, options: GatewayOptions, metrics: ProxyMetrics, logger: Logger) {
  // The deadline is the call's own AbortSignal, which also cancels the request; opossum's would not.
  const withinDeadline = (run: Operation) =>
    withDeadline(options.timeoutMs, async (signal) => {
      try {
        return await run(crm, signal);
      } catch (error) {
        throw signal.aborted ? new DeadlinePassed({ cause: error }) : error;
      }
    });
  const breaker = new CircuitBreaker(withinDeadline, {
    timeout: false,
    errorThresholdPercentage: options.errorPercent,
    volumeThreshold: options.minCalls,
    resetTimeout: options.resetMs,
    rollingCountTimeout: 10_000,
    rollingCountBuckets: 10,
    // Legacy refusing a request (4xx) is working as it should: not a reason to stop asking it.
    errorFilter: isRefusal,
  });
  const showState = (state: 'closed' | 'half_open' | 'open') => {
    for (const each of ['closed', 'half_open', 'open'] as const) metrics.breakerState.set({ state: each }, each === state ? 1 : 0);
  };
  showState('closed');
  breaker.on('open', () => {
    showState('open');
    logger.warn({ resetMs: options.resetMs }, 'legacy circuit breaker opened: legacy is not called until it half-opens');
  });
  breaker.on('halfOpen', () => showState('half_open'));
  breaker.on('close', () => {
    showState('closed');
    logger.info('legacy circuit breaker closed');
  });

  // The rolling window alone reacts slowly when legacy dies after a busy healthy spell: its
  // successes outweigh the first failures for up to ten seconds, each failure costing a caller
  // the whole deadline. So `minCalls` failures in a row open the breaker too.
  let failuresInARow = 0;

  async function call<T>(operation: string, run: (crm: LegacyCrm, signal: AbortSignal) => Promise<T>): Promise<T> {
    const end = metrics.legacyDuration.startTimer({ operation });
    try {
      const result = (await breaker.fire(run as Operation)) as T;
      failuresInARow = 0;
      end({ outcome: result === undefined ? 'not_found' : 'ok' });
      return result;
    } catch (error) {
      const outcome: LegacyFailure = (error as { code?: string }).code === 'EOPENBREAKER' ? 'circuit_open' : error instanceof DeadlinePassed ? 'timeout' : 'error';
      if (outcome !== 'circuit_open' && !isRefusal(error) && ++failuresInARow >= options.minCalls && breaker.closed) breaker.open();
      end({ outcome });
      if (outcome === 'error') logger.warn({ err: error, operation }, 'legacy call failed');
      throw new LegacyUnavailable(outcome, { cause: error });
    }
  }

  return {
    call,
    state: (): 'closed' | 'half_open' | 'open' => (breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed'),
    async close() {
      breaker.shutdown();
      await crm.close();
    },
  };
}

export type LegacyGateway = ReturnType<typeof legacyGateway>;
