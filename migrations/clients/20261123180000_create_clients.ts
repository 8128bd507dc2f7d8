import type { Knex } from 'knex';

/**
 * Our clients. Records migrated from the legacy CRM keep the public id the proxy handed out
 * (src/platform/ids) and carry their `legacy_id`, unique: a second copy of one legacy record
 * cannot exist, whatever the concurrency of migrations.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Extensions belong to the database, and services migrate side by side: one at a time here.
    select pg_advisory_xact_lock(hashtext('figdesk: create extension'));
    create extension if not exists pg_trgm;
    create extension if not exists unaccent;
    -- unaccent() is only stable (its dictionary could change); indexes need an immutable wrapper
    -- that names the dictionary explicitly.
    create function clients.fold(text) returns text
      language sql immutable strict parallel safe
      return lower(public.unaccent('public.unaccent'::regdictionary, $1));

    create table clients.clients (
      id          uuid primary key,
      name        text not null check (char_length(name) between 1 and 200),
      phone       text,
      email       text,
      legacy_id   bigint unique,
      version     integer not null default 1,
      created_at  timestamptz not null,
      updated_at  timestamptz not null,
      search_name text generated always as (clients.fold(name)) stored
    );
    -- Name search: case- and accent-insensitive substring (LIKE '%…%' on the folded name).
    create index clients_search_name_trgm on clients.clients using gin (search_name gin_trgm_ops);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table clients.clients;
    drop function clients.fold(text);
  `);
}
