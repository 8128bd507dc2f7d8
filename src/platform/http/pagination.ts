import { z } from 'zod';
import { BadRequest } from './problem.js';

/** Query parameters of every list: `?limit=&cursor=`. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Items per page (1–200)'),
  cursor: z.string().max(1000).optional().describe('Opaque cursor from `page.next_cursor` of the previous page'),
});

export interface Page<T> {
  data: T[];
  page: { next_cursor: string | null; has_more: boolean };
}

/** Cursors are opaque to callers: base64url JSON of the last row's sort key. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw BadRequest('The cursor is not one this list handed out', [{ location: 'query', pointer: '#/cursor', detail: 'Invalid cursor' }]);
  }
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only proves there is more.
 * `keyOf` gives the sort key of a row, which the next page starts after.
 */
export function toPage<Row, Out>(rows: Row[], limit: number, keyOf: (row: Row) => unknown, present: (row: Row) => Out): Page<Out> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map(present),
    page: { next_cursor: hasMore && last !== undefined ? encodeCursor(keyOf(last)) : null, has_more: hasMore },
  };
}

/** The OpenAPI shape of a page of `item`. */
export const pageSchema = (item: z.ZodType, id: string) =>
  z.object({ data: z.array(item), page: z.object({ next_cursor: z.string().nullable(), has_more: z.boolean() }) }).meta({ id });
