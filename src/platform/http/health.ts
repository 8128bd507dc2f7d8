import { Router } from 'express';

/** A dependency check: resolves when the dependency works, rejects with the reason otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

/**
 * A dependency reported but not required: the service still serves without it (tokens verify
 * from cached keys while the identity provider is briefly away).
 */
export interface OptionalCheck {
  optional: true;
  check: ReadinessCheck;
}

/** Thrown by a check of a component that is switched off by configuration: reported, not a failure. */
export class SwitchedOff extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SwitchedOff';
  }
}

export type Checks = Record<string, ReadinessCheck | OptionalCheck>;
/** Checks, or a function giving the current ones (whether a check is required may change). */
export type ReadinessSource = Checks | (() => Checks);

export interface ReadinessReport {
  status: 'ready' | 'unavailable';
  checks: Record<string, { status: 'ok' | 'fail' | 'off'; duration_ms: number; detail?: string; optional?: true }>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: ReadinessCheck) {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'ok' as const, duration_ms: Math.round(performance.now() - started) };
  } catch (error) {
    if (error instanceof SwitchedOff) return { status: 'off' as const, duration_ms: 0, detail: error.message };
    return { status: 'fail' as const, duration_ms: Math.round(performance.now() - started), detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check in parallel; ready only when all pass. */
export async function readiness(checks: Checks): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, entry]) =>
      typeof entry === 'function' ? ([name, await runCheck(entry)] as const) : ([name, { ...(await runCheck(entry.check)), optional: true as const }] as const),
    ),
  );
  const ready = entries.every(([, result]) => result.status !== 'fail' || 'optional' in result);
  return { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(entries) };
}

/** `/health/live` says the process answers; `/health/ready` says whether each dependency does. */
export function healthRoutes(checks: ReadinessSource, isStopping: () => boolean): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'live' });
  });
  router.get('/health/ready', async (_req, res) => {
    if (isStopping()) {
      res.status(503).json({ status: 'stopping', checks: {} });
      return;
    }
    const report = await readiness(typeof checks === 'function' ? checks() : checks);
    res.status(report.status === 'ready' ? 200 : 503).json(report);
  });
  return router;
}
