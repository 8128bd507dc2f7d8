import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (user + system) spent by groups of processes over one stretch of time, read from
 * /proc: where a benchmark's cycles go when the servers, PostgreSQL and the load generator share
 * the machine's cores. Linux only; elsewhere every group reads 0.
 */
const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Node supports

function ticksOf(pid: number): number | undefined {
  try {
    // The fields after the command name, which may hold spaces: split after its closing ')'.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined; // gone, or not Linux
  }
}

/** Every process running `command` (its /proc comm), e.g. all of PostgreSQL's. */
export function processesNamed(command: string): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === command;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/** Starts measuring; `stop()` gives CPU seconds per group, and this process's as `load generator`. */
export function cpuMeter(groups: Record<string, () => number[]>) {
  const read = () => new Map(Object.entries(groups).map(([name, pids]) => [name, new Map(pids().map((pid) => [pid, ticksOf(pid) ?? 0]))]));
  const start = read();
  const ownStart = process.cpuUsage();
  return {
    stop(): Record<string, number> {
      const own = process.cpuUsage(ownStart);
      const spent: Record<string, number> = {};
      for (const [name, pids] of read()) {
        let ticks = 0;
        // A process started meanwhile (a new pool connection) counts from zero.
        for (const [pid, now] of pids) ticks += now - (start.get(name)?.get(pid) ?? 0);
        spent[name] = ticks / TICKS_PER_SECOND;
      }
      return { ...spent, 'load generator': (own.user + own.system) / 1e6 };
    },
  };
}
