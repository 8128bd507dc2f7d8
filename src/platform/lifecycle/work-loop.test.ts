import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../logging/index.js';
import { startWorkLoop } from './work-loop.js';

const logger = createLogger('silent');

/** A queue fed from outside; each round takes everything in it, as the inbox processor does. */
function feed() {
  let queued = 0;
  const rounds: { at: number; took: number }[] = [];
  return {
    rounds,
    /** The loop's first round (it runs one at start) has come and gone. */
    settled: async () => {
      while (rounds.length === 0) await sleep(5);
      await sleep(20);
    },
    add: () => void (queued += 1),
    // The loop's own clock reading: one taken here could come late (the process preempted in
    // between) and make a gap look narrower than the loop kept it (96 ms once, on CI).
    round: async (startedAt: number) => {
      const took = queued;
      queued = 0;
      rounds.push({ at: startedAt, took });
      await sleep(1);
      return took;
    },
  };
}

describe('the work loop', () => {
  it('woken with work, runs a round at once and goes on until a round finds nothing', async () => {
    const work = feed();
    // A long idle time: only wake() can explain a round after the first.
    const loop = startWorkLoop({ name: 'test', idleMs: 60_000, logger, round: work.round });
    try {
      await work.settled();
      const before = work.rounds.length;
      work.add();
      loop.wake();
      while (work.rounds.length < before + 2) await sleep(5);
      await sleep(20); // a third round would show here
      expect(work.rounds.slice(before).map((round) => round.took)).toEqual([1, 0]);
    } finally {
      await loop.stop();
    }
  });

  it('under a steady stream of wakes, rounds start at least minRoundIntervalMs apart and take what gathered meanwhile', async () => {
    const work = feed();
    const loop = startWorkLoop({ name: 'test', idleMs: 60_000, minRoundIntervalMs: 100, logger, round: work.round });
    try {
      await work.settled();
      const before = work.rounds.length;
      for (let item = 0; item < 40; item += 1) {
        work.add();
        loop.wake();
        await sleep(5);
      }
      const taken = () => work.rounds.slice(before).reduce((sum, round) => sum + round.took, 0);
      while (taken() < 40) await sleep(10);
      const rounds = work.rounds.slice(before);
      // The loop waits out the interval from one round's start to the next; slowness only widens it.
      for (const [index, round] of rounds.entries()) if (index > 0) expect(round.at - (rounds[index - 1] as { at: number }).at).toBeGreaterThanOrEqual(100);
      // Forty wakes, fewer rounds: items gathered between them.
      expect(rounds.length).toBeLessThan(40);
    } finally {
      await loop.stop();
    }
  });

  it('stop waits for the round in progress and runs no more', async () => {
    const work = feed();
    const loop = startWorkLoop({ name: 'test', idleMs: 1, logger, round: work.round });
    await work.settled();
    await loop.stop();
    const after = work.rounds.length;
    work.add();
    loop.wake();
    await sleep(20);
    expect(work.rounds.length).toBe(after);
  });
});
