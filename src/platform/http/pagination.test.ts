import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { HttpProblem } from './problem.js';
import { decodeCursor, encodeCursor, PageQuery, toPage } from './pagination.js';

describe('cursor pagination', () => {
  const rows = [1, 2, 3, 4].map((n) => ({ id: `id-${n}`, at: n }));
  const key = z.tuple([z.number(), z.string()]);

  it('uses the extra row only to tell that there is more, and points the cursor at the last row shown', () => {
    const page = toPage(rows, 3, (row) => [row.at, row.id], (row) => row.id);
    expect(page).toEqual({ data: ['id-1', 'id-2', 'id-3'], page: { next_cursor: expect.any(String), has_more: true } });
    expect(decodeCursor(page.page.next_cursor as string, key)).toEqual([3, 'id-3']);
  });

  it('ends with a null cursor', () => {
    expect(toPage(rows, 10, (row) => row.at, (row) => row.id).page).toEqual({ next_cursor: null, has_more: false });
  });

  it('refuses a cursor it did not hand out with a 400', () => {
    for (const bad of ['%%%', encodeCursor({ not: 'a tuple' }), Buffer.from('[1,').toString('base64url')]) {
      expect(() => decodeCursor(bad, key)).toThrow(HttpProblem);
    }
  });

  it('bounds the page size', () => {
    expect(PageQuery.parse({})).toEqual({ limit: 50 });
    expect(PageQuery.safeParse({ limit: '0' }).success).toBe(false);
    expect(PageQuery.safeParse({ limit: '201' }).success).toBe(false);
  });
});
