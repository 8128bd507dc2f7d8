import type { Knex } from 'knex';

/** The first slice: incidents with human keys, and the transactional outbox. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create sequence incidents.incident_number_seq;

    create table incidents.incidents (
      id          uuid primary key,
      number      bigint not null unique default nextval('incidents.incident_number_seq'),
      title       text not null check (char_length(title) between 1 and 200),
      description text not null default '',
      channel     text not null check (channel in ('web', 'telegram', 'sms', 'esb', 'api')),
      category    text,
      priority    text not null check (priority in ('P1', 'P2', 'P3', 'P4')),
      status      text not null default 'new'
                  check (status in ('new', 'in_progress', 'waiting_customer', 'resolved', 'closed', 'cancelled')),
      reporter    jsonb not null default '{}'::jsonb,
      created_by  jsonb not null,
      version     integer not null default 1,
      created_at  timestamptz not null default now(),
      updated_at  timestamptz not null default now()
    );
    alter sequence incidents.incident_number_seq owned by incidents.incidents.number;

    -- Written in the same transaction as the change it describes; shippers read unpublished rows in id order.
    create table incidents.outbox (
      id             bigserial primary key,
      event_id       uuid not null unique,
      type           text not null,
      aggregate_type text not null,
      aggregate_id   uuid not null,
      payload        jsonb not null,
      occurred_at    timestamptz not null default now(),
      published_at   timestamptz
    );
    create index outbox_unpublished_idx on incidents.outbox (id) where published_at is null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table incidents.outbox;
    drop table incidents.incidents;
  `);
}
