import type { Knex } from 'knex';

/**
 * The helpdesk core: assignment, SLA clocks, problems, comments and history. Every index
 * here serves a list or a job named beside it (see docs/benchmarks.md).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create sequence incidents.problem_number_seq;
    create table incidents.problems (
      id           uuid primary key,
      number       bigint not null unique default nextval('incidents.problem_number_seq'),
      title        text not null check (char_length(title) between 1 and 200),
      description  text not null default '',
      status       text not null default 'open' check (status in ('open', 'investigating', 'resolved', 'closed')),
      owner_id     text,
      owner_name   text,
      root_cause   text,
      resolution   text,
      -- Why it exists: a P1 incident, a cluster of similar incidents, an agent's escalation, or by hand.
      origin       text not null check (origin in ('p1', 'cluster', 'escalation', 'manual')),
      -- category|client:<id> or category|order:<id> for cluster problems; one open problem per key.
      cluster_key  text,
      created_by   jsonb not null,
      version      integer not null default 1,
      created_at   timestamptz not null,
      updated_at   timestamptz not null,
      resolved_at  timestamptz,
      closed_at    timestamptz
    );
    alter sequence incidents.problem_number_seq owned by incidents.problems.number;
    create unique index problems_open_cluster_uq on incidents.problems (cluster_key)
      where cluster_key is not null and status in ('open', 'investigating');
    create index problems_created_idx on incidents.problems (created_at desc, id desc);

    alter table incidents.incidents
      add column client_id               text,
      add column order_id                text,
      add column assignee_id             text,
      add column assignee_name           text,
      add column group_name              text,
      add column tags                    text[] not null default '{}',
      add column problem_id              uuid references incidents.problems (id),
      add column resolution              text,
      add column cancel_reason           text,
      add column first_response_due_at  timestamptz,
      add column resolution_due_at       timestamptz,
      add column first_responded_at      timestamptz,
      add column resolved_at             timestamptz,
      add column closed_at               timestamptz,
      -- Set while waiting for the customer; on resume the due times move by the pause.
      add column sla_paused_at           timestamptz,
      add column first_response_breached boolean not null default false,
      add column resolution_breached     boolean not null default false,
      add column search                  tsvector generated always as
        (setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', description), 'B')) stored;

    update incidents.incidents set first_response_due_at = created_at, resolution_due_at = created_at where resolution_due_at is null;
    alter table incidents.incidents
      alter column first_response_due_at set not null,
      alter column resolution_due_at set not null,
      alter column created_at drop default,
      alter column updated_at drop default;

    -- Default list order, and "created in a range".
    create index incidents_created_idx on incidents.incidents (created_at desc, id desc);
    -- "My open incidents by due time" (the agent's queue).
    create index incidents_open_assignee_due_idx on incidents.incidents (assignee_id, resolution_due_at, id)
      where status in ('new', 'in_progress', 'waiting_customer');
    -- "Open incidents by due time" (breached, due within) and the SLA job.
    create index incidents_open_due_idx on incidents.incidents (resolution_due_at, id)
      where status in ('new', 'in_progress', 'waiting_customer');
    create index incidents_category_created_idx on incidents.incidents (category, created_at desc, id desc);
    create index incidents_search_idx on incidents.incidents using gin (search);
    create index incidents_problem_idx on incidents.incidents (problem_id) where problem_id is not null;
    create index incidents_client_created_idx on incidents.incidents (client_id, created_at desc) where client_id is not null;
    create index incidents_order_created_idx on incidents.incidents (order_id, created_at desc) where order_id is not null;
    create index incidents_updated_idx on incidents.incidents (updated_at desc, id desc);
    -- The auto-close job.
    create index incidents_resolved_idx on incidents.incidents (resolved_at) where status = 'resolved';

    create table incidents.comments (
      id          uuid primary key,
      incident_id uuid not null references incidents.incidents (id),
      author      jsonb not null,
      visibility  text not null check (visibility in ('public', 'internal')),
      body        text not null check (char_length(body) between 1 and 20000),
      attachments jsonb not null default '[]'::jsonb,
      created_at  timestamptz not null
    );
    create index comments_incident_idx on incidents.comments (incident_id, created_at, id);

    create table incidents.history (
      id          bigserial primary key,
      incident_id uuid not null references incidents.incidents (id),
      at          timestamptz not null,
      actor       jsonb,
      kind        text not null,
      field       text,
      before      jsonb,
      after       jsonb
    );
    create index history_incident_idx on incidents.history (incident_id, id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table incidents.history;
    drop table incidents.comments;
    drop index incidents.incidents_created_idx, incidents.incidents_open_assignee_due_idx, incidents.incidents_open_due_idx,
      incidents.incidents_category_created_idx, incidents.incidents_search_idx, incidents.incidents_problem_idx,
      incidents.incidents_client_created_idx, incidents.incidents_order_created_idx, incidents.incidents_updated_idx,
      incidents.incidents_resolved_idx;
    alter table incidents.incidents
      alter column created_at set default now(),
      alter column updated_at set default now(),
      drop column search, drop column resolution_breached, drop column first_response_breached, drop column sla_paused_at,
      drop column closed_at, drop column resolved_at, drop column first_responded_at, drop column resolution_due_at,
      drop column first_response_due_at, drop column cancel_reason, drop column resolution, drop column problem_id,
      drop column tags, drop column group_name, drop column assignee_name, drop column assignee_id,
      drop column order_id, drop column client_id;
    drop table incidents.problems;
  `);
}
