import type { Knex } from 'knex';

/**
 * The SLA time spent paused, stored instead of derived from the configured targets (which
 * may change): a new priority's due times are its targets plus this.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table incidents.incidents add column sla_paused_ms bigint not null default 0`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table incidents.incidents drop column sla_paused_ms');
}
