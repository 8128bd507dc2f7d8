import type { Knex } from 'knex';

/**
 * Our orders. `client_id` is a public client id (ours, or a legacy-born one the proxy handed
 * out); no foreign key, since clients live in another service's schema. Migrated copies keep
 * the public id of their legacy record and carry a unique `legacy_id`, as clients do.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Extensions belong to the database, and services migrate side by side: one at a time here.
    select pg_advisory_xact_lock(hashtext('figdesk: create extension'));
    create extension if not exists pg_trgm;
    create sequence orders.order_number_seq;
    create table orders.orders (
      id          uuid primary key,
      number      text not null unique check (char_length(number) between 1 and 40),
      client_id   uuid not null,
      status      text not null check (status in ('open', 'paid', 'shipped', 'cancelled')),
      total       numeric(14, 2) not null check (total >= 0),
      currency    text not null check (currency ~ '^[A-Z]{3}$'),
      legacy_id   bigint unique,
      version     integer not null default 1,
      created_at  timestamptz not null,
      updated_at  timestamptz not null
    );
    alter sequence orders.order_number_seq owned by orders.orders.number;
    create index orders_client_idx on orders.orders (client_id, id);
    -- Search by part of the number.
    create index orders_number_trgm on orders.orders using gin (lower(number) gin_trgm_ops);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table orders.orders');
}
