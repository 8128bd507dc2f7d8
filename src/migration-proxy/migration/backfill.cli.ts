// npm run backfill -- clients|orders [--take-over]: migrates every record still only in the legacy
// CRM, throttled to BACKFILL_RATE a second, with a progress bar and an ETA. Killed, it resumes
// where it stopped when started again (with --take-over at once; else once its claim expires).
import { SingleBar, Presets } from 'cli-progress';
import { schemaMigrations } from '../../../migrations/index.js';
import { loadConfigOrExit } from '../../platform/config/index.js';
import { createDatabase, migrateSchema } from '../../platform/db/index.js';
import { HttpProblem } from '../../platform/http/index.js';
import { createLogger } from '../../platform/logging/index.js';
import { createMetrics } from '../../platform/metrics/index.js';
import { migrationKit } from '../migration-kit.js';
import type { RoutedResource } from '../routing/route-modes.js';
import { runBackfill } from './backfill.js';

async function main(): Promise<number> {
  const resource = process.argv[2];
  if (resource !== 'clients' && resource !== 'orders') {
    process.stderr.write('usage: npm run backfill -- clients|orders [--take-over]\n');
    return 2;
  }
  const config = loadConfigOrExit();
  if (!config.DATABASE_URL) {
    // PGlite serves one connection, and `npm start` holds it.
    process.stderr.write('The embedded database has one connection, held by `npm start`: start the back-fill there with POST /api/v1/admin/backfills/' + resource + ', or set DATABASE_URL.\n');
    return 2;
  }
  const logger = createLogger(config.LOG_LEVEL, 'backfill');
  const database = createDatabase({ url: config.DATABASE_URL, poolMax: 2, applicationName: 'figdesk-backfill' });
  const kit = await migrationKit(config, database.primary, logger, createMetrics('backfill'));
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
  // cli-progress computes rate and ETA; off a terminal it prints a line every few seconds instead.
  const bar = new SingleBar(
    { format: `${resource} |{bar}| {percentage}% | {value}/{total} | {speed}/s | ETA {eta_formatted}`, noTTYOutput: true, notTTYSchedule: 5_000, etaBuffer: 200 },
    Presets.shades_classic,
  );
  let barStarted = false;
  const startedAt = performance.now();
  try {
    await migrateSchema(database.primary, 'migration', schemaMigrations.migration);
    const row = await runBackfill(
      {
        db: database.primary,
        legacy: kit.legacy,
        migrator: kit.migrator,
        logger,
        rate: config.BACKFILL_RATE,
        onProgress: (progress) => {
          const total = progress.total ?? progress.seen;
          if (!barStarted) {
            bar.start(total, progress.seen, { speed: '0' });
            barStarted = true;
          }
          const seconds = (performance.now() - startedAt) / 1000;
          bar.setTotal(total);
          bar.update(progress.seen, { speed: (progress.migrated / Math.max(seconds, 0.001)).toFixed(0) });
        },
      },
      resource as RoutedResource,
      { signal: controller.signal, takeOver: process.argv.includes('--take-over') },
    );
    bar.stop();
    process.stdout.write(`${resource}: ${row.seen} legacy records seen, ${row.migrated} migrated by this run, ${row.failed} legacy could not provide.\n`);
    return 0;
  } catch (error) {
    bar.stop();
    if (controller.signal.aborted) {
      process.stdout.write('Stopped; run the same command again to resume.\n');
      return 130;
    }
    process.stderr.write(`${error instanceof HttpProblem ? error.detail : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  } finally {
    await kit.close();
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
