import type { Knex } from 'knex';

/**
 * The migration proxy's own tables: the ledger is the single truth of which legacy record moved
 * into our services, when and how; route modes are what an admin switched per resource;
 * back-fills remember where each one got to, so a killed run resumes there.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table migration.ledger (
      resource     text not null check (resource in ('client', 'order')),
      legacy_id    bigint not null check (legacy_id > 0),
      new_id       uuid not null,
      -- 'copying' while one proxy holds the claim and writes the copy; 'migrated' once it is there.
      state        text not null check (state in ('copying', 'migrated')),
      how          text not null check (how in ('lazy', 'backfill')),
      claim        uuid,
      claimed_at   timestamptz not null,
      migrated_at  timestamptz,
      -- Fields where legacy, read again at migration time, differed from the cached copy callers saw.
      divergent_fields text[] not null default '{}',
      primary key (resource, legacy_id),
      check ((state = 'migrated') = (migrated_at is not null))
    );
    create index ledger_migrated_idx on migration.ledger (resource, how) where state = 'migrated';

    create table migration.route_modes (
      resource    text primary key check (resource in ('clients', 'orders')),
      mode        text not null check (mode in ('legacy-only', 'merge', 'new-only')),
      changed_by  text not null,
      changed_at  timestamptz not null
    );

    create table migration.backfills (
      resource      text primary key check (resource in ('clients', 'orders')),
      -- Legacy records are read in legacy id order, a page at a time; the run resumes after this id.
      after_legacy_id bigint not null default 0,
      seen          integer not null default 0,
      migrated      integer not null default 0,
      total         integer,
      state         text not null check (state in ('running', 'finished', 'failed')),
      owner         uuid,
      heartbeat_at  timestamptz,
      started_at    timestamptz not null,
      finished_at   timestamptz,
      failed        integer not null default 0,
      error         text
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table migration.backfills; drop table migration.route_modes; drop table migration.ledger');
}
