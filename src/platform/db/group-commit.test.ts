import { describe, expect, it } from '@jest/globals';
import { groupCommit } from './group-commit.js';

describe('group commit', () => {
  it('writes the first item at once and the ones that arrive meanwhile as one batch, each caller getting its own result', async () => {
    const batches: number[][] = [];
    const commit = groupCommit(async (items: number[]) => {
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, 10));
      return items.map((item) => item * 10);
    }, { maxBatch: 3 });
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((item) => commit.write(item)));
    expect(results).toEqual([10, 20, 30, 40, 50, 60]);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it('when a batch fails, writes its items one by one: the bad one fails alone', async () => {
    const commit = groupCommit(async (items: number[]) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (items.includes(3)) throw new Error('3 is refused');
      return items;
    }, { maxBatch: 10 });
    const results = await Promise.allSettled([1, 2, 3, 4].map((item) => commit.write(item)));
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).message))).toEqual([1, 2, '3 is refused', 4]);
  });
});
