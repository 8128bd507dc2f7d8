import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, Update, User } from '@grammyjs/types';
import request from 'supertest';
import twilio from 'twilio';
import { customerPhoneNumber } from '../../tools/legacy-crm/records.js';
import { freePort } from './ports.js';
import { startSmsGatewayStandIn, type SmsGatewayStandIn } from './stand-ins/sms-gateway.js';
import { startTelegramStandIn, type TelegramStandIn } from './stand-ins/telegram-bot-api.js';
import { startTestSystem, type TestSystem } from './system.js';

// Credentials of the channels in tests; the stand-ins accept exactly these.
export const TELEGRAM_TOKEN = '123456:figdesk-test-bot-token-0000';
export const TELEGRAM_SECRET = 'figdesk-test-webhook-secret';
export const TWILIO_ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const TWILIO_AUTH_TOKEN = 'figdesk-test-twilio-auth-token';
export const SMS_FROM = '+15005550006';

/**
 * Runs `check` until it stops throwing (an expect that holds) and returns its result; after
 * `timeoutMs` the last failure is thrown, so the test reports what was still wrong.
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}

/** A clock the test moves forward: the system reads it everywhere it asks for the time. */
export function movableClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      offsetMs += ms;
    },
  };
}

export interface ChannelSystem {
  t: TestSystem;
  telegram: TelegramStandIn;
  sms: SmsGatewayStandIn;
  /** The edge as Telegram and the SMS gateway reach it (PUBLIC_URL). */
  publicUrl: string;
  clock: ReturnType<typeof movableClock>;
  stop(): Promise<void>;
}

/**
 * The whole system with the Telegram and SMS channels pointed at loopback stand-ins, the
 * workers polling often and the rate limits off. The edge listens on a port chosen here, so
 * PUBLIC_URL is the very URL the tests post webhooks to: Twilio signs the URL it calls, and so
 * do the tests, with nothing rewritten in between.
 */
export async function startChannelSystem(overrides: Record<string, string> = {}): Promise<ChannelSystem> {
  const telegram = await startTelegramStandIn({ token: TELEGRAM_TOKEN });
  const sms = await startSmsGatewayStandIn({ accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN });
  const clock = movableClock();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  try {
    const t = await startTestSystem(
      {
        PROXY_PORT: String(port),
        PUBLIC_URL: publicUrl,
        TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
        TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
        TELEGRAM_API_URL: telegram.baseUrl,
        TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN,
        SMS_FROM,
        SMS_API_URL: sms.baseUrl,
        CHANNEL_POLL_MS: '50',
        NOTIFY_RETRY_BASE_MS: '50',
        TELEGRAM_RATE_PER_SECOND: '0',
        TELEGRAM_CHAT_INTERVAL_MS: '0',
        SMS_RATE_PER_SECOND: '0',
        ...overrides,
      },
      { clock: clock.now },
    );
    return {
      t, telegram, sms, publicUrl, clock,
      async stop() {
        await t.stop();
        await Promise.all([telegram.close(), sms.close()]);
      },
    };
  } catch (error) {
    await Promise.all([telegram.close(), sms.close()]);
    throw error;
  }
}

// Distinct per test file run, so reruns against one database never meet old rows.
let lastId = Math.floor(Date.now() / 1000) * 1000 + Math.floor(Math.random() * 1000);
const nextId = () => (lastId += 1);

/** A Telegram user in a private chat with the bot, who writes updates with fresh update_ids. */
export function telegramUser(from: Partial<User> = {}) {
  const user: User = { id: nextId(), is_bot: false, first_name: 'Anna', last_name: 'Petrova', language_code: 'en', ...from };
  const chat = { id: user.id, type: 'private' as const, first_name: user.first_name };
  let messageId = 0;
  const message = (fields: Partial<Message>) => ({ message_id: (messageId += 1), date: Math.floor(Date.now() / 1000), chat, from: user, ...fields }) as NonNullable<Update['message']>;
  return {
    chatId: String(user.id),
    user,
    /** A message such as { text } or { photo, caption }. */
    message: (fields: Partial<Message>): Update => ({ update_id: nextId(), message: message(fields) }),
    text: (text: string): Update => ({ update_id: nextId(), message: message({ text }) }),
    edited: (text: string): Update => ({ update_id: nextId(), edited_message: { ...message({ text }), edit_date: Math.floor(Date.now() / 1000) } as Update['edited_message'] }),
  };
}

/** An update of any shape, with a fresh update_id. */
export const telegramUpdate = (fields: Omit<Update, 'update_id'> | Record<string, unknown>): Update => ({ update_id: nextId(), ...fields }) as Update;

/** Telegram delivering an update to the webhook through the edge; a null secret sends none. */
export function postUpdate(channels: ChannelSystem, update: unknown, secret: string | null = TELEGRAM_SECRET) {
  const call = request(channels.publicUrl).post('/intake/telegram').set('content-type', 'application/json');
  if (secret !== null) call.set('X-Telegram-Bot-Api-Secret-Token', secret);
  return call.send(JSON.stringify(update));
}

/** A fresh phone number in E.164 form, distinct per call. */
export const newPhone = () => `+4930${String(nextId()).slice(-9)}`;

/** An inbound SMS as Twilio posts it (the parameters of its webhook). */
export function inboundSms(from: string, body: string, extra: Record<string, string> = {}): Record<string, string> {
  const sid = `SM${nextId().toString(16).padStart(32, '0')}`;
  return { ToCountry: 'US', SmsMessageSid: sid, NumMedia: '0', SmsSid: sid, SmsStatus: 'received', Body: body, To: SMS_FROM, NumSegments: '1', MessageSid: sid, AccountSid: TWILIO_ACCOUNT_SID, From: from, ApiVersion: '2010-04-01', ...extra };
}

/**
 * The gateway delivering an SMS to the webhook. The signature is the twilio package's own, over
 * `signedUrl` (the public URL, as Twilio would) unless a test signs something else on purpose.
 */
export function postSms(channels: ChannelSystem, params: Record<string, string | string[]>, options: { path?: string; signedUrl?: string; authToken?: string; signedParams?: Record<string, string | string[]>; signature?: string | null } = {}) {
  const path = options.path ?? '/intake/sms';
  const url = options.signedUrl ?? `${channels.publicUrl}${path}`;
  const signature = options.signature === undefined ? twilio.getExpectedTwilioSignature(options.authToken ?? TWILIO_AUTH_TOKEN, url, options.signedParams ?? params) : options.signature;
  const call = request(channels.publicUrl).post(path).type('form');
  if (signature !== null) call.set('X-Twilio-Signature', signature);
  // A parameter given as a list is sent once per value, as a form repeats a field.
  const form = Object.entries(params).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((item): [string, string] => [name, item]));
  return call.send(new URLSearchParams(form).toString());
}

export interface InboxRow {
  id: string;
  channel: string;
  external_id: string;
  state: 'pending' | 'done' | 'failed' | 'ignored';
  incident_id: string | null;
  last_error: string | null;
}

/** The inbox rows stored for one channel message id. */
export const inboxRows = (channels: ChannelSystem, channel: 'telegram' | 'sms', externalId: string | number): Promise<InboxRow[]> =>
  channels.t.database.knex.withSchema('incidents').table('inbox').where({ channel, external_id: String(externalId) }).select('id', 'channel', 'external_id', 'state', 'incident_id', 'last_error');

/** Waits until the processor has handled a stored message, and answers its row. */
export async function handled(channels: ChannelSystem, channel: 'telegram' | 'sms', externalId: string | number): Promise<InboxRow> {
  return eventually(async () => {
    const [row] = await inboxRows(channels, channel, externalId);
    if (!row || row.state === 'pending') throw new Error(`inbox ${channel} ${externalId} not handled yet (${row?.state ?? 'not stored'})`);
    return row;
  });
}

/** Ids of the incidents a chat or a phone number reported, oldest first. */
export async function incidentIdsOf(channels: ChannelSystem, channel: 'telegram' | 'sms', contact: string): Promise<string[]> {
  const field = channel === 'telegram' ? 'telegram_chat_id' : 'phone';
  return channels.t.database.knex.withSchema('incidents').table('incidents').where({ channel }).whereRaw('reporter->>? = ?', [field, contact]).orderBy('created_at').pluck('id');
}

/** One sample of a metric the incidents service exposes, 0 when it has no such sample yet. */
export async function metricValue(channels: ChannelSystem, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${channels.t.system.services.incidents.url}/metrics`)).text();
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return 0;
}

/**
 * A customer seeded in the legacy CRM whose phone no other customer has, asked of the CRM itself
 * (not through the edge, whose cache would then know it). `from` keeps tests apart.
 */
export async function legacyCustomerWithOwnPhone(channels: ChannelSystem, from: number): Promise<{ customerId: number; phoneNumber: string }> {
  for (let index = from; index < from + 100; index += 1) {
    const url = `${channels.t.system.services.legacyCrm.url}/crm/customers?phone=${encodeURIComponent(customerPhoneNumber(index))}`;
    const found = (await (await fetch(url)).json()) as { items: { customerId: number; phoneNumber: string }[] };
    if (found.items.length === 1) return found.items[0] as { customerId: number; phoneNumber: string };
  }
  throw new Error(`no seeded customer from index ${from} on has a phone of their own`);
}

/** Changes how badly the legacy CRM simulator behaves (see tools/legacy-crm/faults.ts). */
async function legacyCrmFaults(channels: ChannelSystem, faults: { errorRate?: number; latencyMs?: number }): Promise<void> {
  const response = await fetch(`${channels.t.system.services.legacyCrm.url}/crm/admin/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
  if (!response.ok) throw new Error(`the legacy CRM refused the faults: ${response.status}`);
}

/** Makes the legacy CRM simulator fail every API call (or stop failing). */
export const legacyCrmFailing = (channels: ChannelSystem, failing: boolean) => legacyCrmFaults(channels, { errorRate: failing ? 1 : 0 });

/**
 * Keeps the inbox processor inside one round for `ms`: a shared contact makes it look the phone
 * up through the edge while the legacy CRM takes that long to answer (the system needs a
 * LEGACY_TIMEOUT_MS above it). Messages stored meanwhile are claimed together by the next
 * round, as one batch. Answers a function that ends the slowness and waits for the contact.
 * (A row lock would hold it exactly, but PGlite has one session for everything.)
 */
export async function holdInboxProcessor(channels: ChannelSystem, ms: number): Promise<() => Promise<void>> {
  await legacyCrmFaults(channels, { latencyMs: ms });
  const holder = telegramUser();
  const contact = holder.message({ contact: { phone_number: newPhone().slice(1), first_name: holder.user.first_name, user_id: holder.user.id } });
  await postUpdate(channels, contact).expect(200);
  await eventually(async () => {
    const [row] = await channels.t.database.knex.withSchema('incidents').table('inbox').where({ channel: 'telegram', external_id: String(contact.update_id) }).select('attempts');
    if (!row || row.attempts < 1) throw new Error('the processor has not claimed the contact yet');
  });
  return async () => {
    await legacyCrmFaults(channels, { latencyMs: 0 });
    await handled(channels, 'telegram', contact.update_id);
  };
}
