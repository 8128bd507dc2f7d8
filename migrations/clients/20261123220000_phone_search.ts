import type { Knex } from 'knex';

/**
 * Phone search: the phone's digits, kept by Postgres beside it, so `+7 (912) 345-67-89` and
 * `79123456789` are one number, and an index that finds them in id order (the list's order).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table clients.clients
      add column phone_digits text generated always as (regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')) stored;
    -- Phone search: equality on the digits, pages in id order after a cursor.
    create index clients_phone_digits on clients.clients (phone_digits, id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index clients.clients_phone_digits;
    alter table clients.clients drop column phone_digits;
  `);
}
