import type { Knex } from 'knex';

/** A connection or a transaction: repositories run the same on both. */
export type Db = Knex | Knex.Transaction;

/** `%`, `_` and `\` are LIKE's own characters; a substring search means them literally. */
export const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);
