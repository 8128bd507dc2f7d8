import type { Knex } from 'knex';

/**
 * Intake channels and notifications. Every message a channel hands us is stored raw in the
 * inbox before we answer it, and handled from there; every message to a reporter is a row of
 * `notifications`, written in the transaction of the change it tells about, and sent from there.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table incidents.inbox (
      id              bigserial primary key,
      channel         text not null check (channel in ('telegram', 'sms', 'esb')),
      -- The channel's own id: Telegram's update_id, Twilio's MessageSid, the ESB message id or
      -- Idempotency-Key (scoped by the caller). A repeat finds the first row and changes nothing.
      external_id     text not null,
      -- Messages of one conversation (a chat, a phone number) are handled one at a time, in order.
      conversation    text,
      payload         jsonb not null,
      received_at     timestamptz not null,
      state           text not null default 'pending' check (state in ('pending', 'done', 'failed', 'ignored')),
      attempts        integer not null default 0,
      next_attempt_at timestamptz not null,
      locked_until    timestamptz,
      last_error      text,
      processed_at    timestamptz,
      incident_id     uuid references incidents.incidents (id),
      -- ESB over HTTP: the first answer, replayed to a repeat of the same Idempotency-Key.
      request_hash    text,
      result_status   integer,
      result_body     jsonb,
      unique (channel, external_id)
    );
    -- The processor's queue, and "is an earlier message of this conversation still waiting?".
    create index inbox_pending_idx on incidents.inbox (next_attempt_at, id) where state = 'pending';
    create index inbox_pending_conversation_idx on incidents.inbox (conversation, id) where state = 'pending';
    create index inbox_failed_idx on incidents.inbox (id desc) where state = 'failed';

    -- What a chat or phone number told us beyond its incidents: a shared phone, the client it
    -- belongs to, and a pending /new (the next message opens a new incident).
    create table incidents.intake_conversations (
      conversation      text primary key,
      phone             text,
      client_id         text,
      client_checked_at timestamptz,
      new_requested_at  timestamptz,
      updated_at        timestamptz not null
    );

    -- The newest incidents of one conversation: a chat id or a phone number.
    create index incidents_conversation_idx on incidents.incidents
      (channel, (coalesce(reporter->>'telegram_chat_id', reporter->>'phone')), created_at desc)
      where channel in ('telegram', 'sms');

    create table incidents.notifications (
      -- Also the idempotency key of the send: one row per (event, recipient).
      id              uuid primary key,
      event_id        uuid not null,
      incident_id     uuid references incidents.incidents (id),
      channel         text not null check (channel in ('telegram', 'sms')),
      recipient       text not null,
      language        text not null check (language in ('en', 'ru')),
      template        text not null,
      params          jsonb not null default '{}'::jsonb,
      state           text not null default 'pending' check (state in ('pending', 'sent', 'dead')),
      attempts        integer not null default 0,
      next_attempt_at timestamptz not null,
      locked_until    timestamptz,
      last_error      text,
      created_at      timestamptz not null,
      sent_at         timestamptz,
      unique (event_id, recipient)
    );
    create index notifications_due_idx on incidents.notifications (next_attempt_at, id) where state = 'pending';
    create index notifications_dead_idx on incidents.notifications (created_at desc, id desc) where state = 'dead';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table incidents.notifications;
    drop index incidents.incidents_conversation_idx;
    drop table incidents.intake_conversations;
    drop table incidents.inbox;
  `);
}
