import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { withDeadline } from './deadline.js';

describe('withDeadline', () => {
  it('aborts work that outlives the deadline with a TimeoutError, as AbortSignal.timeout does', async () => {
    let seen: AbortSignal | undefined;
    const hung = withDeadline(20, (signal) => {
      seen = signal;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(seen?.aborted).toBe(true);
  });

  it('leaves nothing behind when the work settles in time: the signal never aborts afterwards', async () => {
    let seen: AbortSignal | undefined;
    await expect(withDeadline(20, async (signal) => ((seen = signal), 'answer'))).resolves.toBe('answer');
    await expect(withDeadline(20, async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await sleep(60);
    expect(seen?.aborted).toBe(false);
  });
});
