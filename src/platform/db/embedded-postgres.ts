import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from '../logging/index.js';

export interface EmbeddedPostgres {
  /** Connection string for pg/knex. PGlite ignores user, password and database name. */
  url: string;
  /** Where the data lives; undefined for an in-memory database. */
  dataDir?: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Folder that keeps the data across restarts; omitted, the database lives in memory (tests). */
  dataDir?: string;
  host: string;
  port: number;
  logger?: Logger;
}

/**
 * PGlite opens a data folder without any lock, and two processes writing one folder lose
 * rows silently; a pid file makes the second one refuse to start instead.
 */
const heldHere = new Set<string>();

async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = join(dataDir, 'figdesk.pid');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      heldHere.add(lockFile);
      return async () => {
        heldHere.delete(lockFile);
        await rm(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
      // Our own pid counts as a holder only if this process really holds it (a container restart reuses pids).
      const held = owner === process.pid ? heldHere.has(lockFile) : owner > 0 && isAlive(owner);
      if (held) {
        throw new Error(`The embedded database in ${dataDir} is in use by process ${owner}; stop it or set DATA_DIR to another folder`, { cause: error });
      }
      await rm(lockFile, { force: true }); // left by a process that died
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Postgres without a server: PGlite (Postgres compiled to WASM) behind the Postgres wire
 * protocol, so the same pg/knex code runs on it as on a real server.
 *
 * PGlite has a single backend session. pglite-socket multiplexes connections onto it, and
 * interleaves statements of concurrent transactions (electric-sql/pglite#1046), so callers
 * must use ONE pool of ONE connection (see `sharedEmbeddedDatabase`). The extra socket slots
 * only absorb pg-pool's reconnect after an error.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  let unlock = async () => {};
  if (options.dataDir) {
    await mkdir(options.dataDir, { recursive: true });
    unlock = await lockDataDir(options.dataDir);
  }
  try {
    const db = await PGlite.create({ dataDir: options.dataDir, extensions: { pg_trgm, unaccent, citext } });
    const server = new PGLiteSocketServer({ db, host: options.host, port: options.port, maxConnections: 4 });
    await server.start();
    const url = `postgres://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`;
    return {
      url,
      dataDir: options.dataDir,
      async stop() {
        // Callers close their pools first: PGlite's process does not exit while a client is attached.
        await server.stop();
        await db.close();
        await unlock();
      },
    };
  } catch (error) {
    await unlock();
    throw error;
  }
}
