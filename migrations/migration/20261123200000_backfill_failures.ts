import type { Knex } from 'knex';

/**
 * Legacy records a back-fill could not migrate because our service refused the copy (legacy's
 * data breaks our rules: a malformed phone number, say). The run goes on; an operator fixes the
 * record in legacy and runs the back-fill again, which retries them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table migration.backfill_failures (
      resource   text not null check (resource in ('client', 'order')),
      legacy_id  bigint not null,
      reason     text not null,
      failed_at  timestamptz not null,
      primary key (resource, legacy_id)
    )
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table migration.backfill_failures');
}
