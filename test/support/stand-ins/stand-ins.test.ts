import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSmsGatewayStandIn, type SmsGatewayStandIn } from './sms-gateway.js';
import { startTelegramStandIn, type TelegramStandIn } from './telegram-bot-api.js';

const TOKEN = '123456:stand-in-token';
const ACCOUNT = `AC${'0'.repeat(32)}`;
const AUTH_TOKEN = 'stand-in-auth-token';

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text };
}

/** Waits until `condition` holds; the stand-ins record a call as soon as it arrives. */
async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(10);
  }
}

describe('Telegram Bot API stand-in', () => {
  let telegram: TelegramStandIn;
  const method = (name: string, token = TOKEN) => `${telegram.baseUrl}/bot${token}/${name}`;
  const postJson = (name: string, body: unknown, token = TOKEN) =>
    call(method(name, token), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    telegram = await startTelegramStandIn({ token: TOKEN });
  });
  afterEach(() => telegram.reset());
  afterAll(() => telegram.close());

  it('answers sendMessage like the Bot API and records the delivery with its options', async () => {
    const markup = { inline_keyboard: [[{ text: 'Open', callback_data: 'open' }]] };
    const answer = await postJson('sendMessage', { chat_id: 42, text: '*Hi*', parse_mode: 'MarkdownV2', reply_markup: markup, reply_parameters: { message_id: 7 } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ok: true, result: expect.objectContaining({ message_id: 1, date: expect.any(Number), chat: expect.objectContaining({ id: 42 }), text: '*Hi*' }) });
    await postJson('sendMessage', { chat_id: '99', text: 'second' });
    expect(telegram.delivered(42)).toEqual([{ message_id: 1, chat_id: 42, text: '*Hi*', parse_mode: 'MarkdownV2', reply_markup: markup, reply_parameters: { message_id: 7 }, at: expect.any(Date) }]);
    expect(telegram.delivered('99')).toEqual([expect.objectContaining({ message_id: 2, chat_id: 99, text: 'second' })]);
    expect(telegram.calls.map((c) => [c.method, c.status])).toEqual([['sendMessage', 200], ['sendMessage', 200]]);
    expect(await telegram.waitForDelivered(2)).toHaveLength(2);
  });

  it('accepts form-encoded bodies, JSON-serialized fields included, and GET getMe', async () => {
    const form = new URLSearchParams({ chat_id: '-1001', text: 'from a form', reply_to_message_id: '5', reply_markup: JSON.stringify({ force_reply: true }) });
    const answer = await call(method('sendMessage'), { method: 'POST', body: form });
    expect(answer.status).toBe(200);
    expect(answer.body.result.chat.id).toBe(-1001);
    expect(telegram.delivered()).toEqual([expect.objectContaining({ chat_id: -1001, text: 'from a form', reply_to_message_id: 5, reply_markup: { force_reply: true } })]);
    const me = await call(method('getMe'));
    expect(me.body).toEqual({ ok: true, result: expect.objectContaining({ id: 123456, is_bot: true }) });
  });

  it('refuses a wrong token, an unknown method and an empty text, none of them delivered', async () => {
    expect(await postJson('sendMessage', { chat_id: 1, text: 'x' }, '123456:wrong')).toMatchObject({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
    expect(await postJson('sendMessages', { chat_id: 1, text: 'x' })).toMatchObject({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found: method not found' } });
    expect(await postJson('sendMessage', { chat_id: 1, text: '' })).toMatchObject({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: message text is empty' } });
    expect(await postJson('sendMessage', { text: 'x' })).toMatchObject({ status: 400, body: { ok: false, error_code: 400 } });
    expect(telegram.calls.map((c) => c.status)).toEqual([401, 404, 400, 400]);
    expect(telegram.delivered()).toEqual([]);
  });

  it('fails the next sendMessage calls as told, 429 with retry_after, then delivers', async () => {
    telegram.failNext(1, 429, 3);
    telegram.failNext(1);
    expect(await postJson('sendMessage', { chat_id: 1, text: 'x' })).toMatchObject({ status: 429, body: { ok: false, error_code: 429, parameters: { retry_after: 3 } } });
    expect(await postJson('sendMessage', { chat_id: 1, text: 'x' })).toMatchObject({ status: 500, body: { ok: false, error_code: 500 } });
    expect((await postJson('sendMessage', { chat_id: 1, text: 'x' })).status).toBe(200);
    expect(telegram.calls.map((c) => c.status)).toEqual([429, 500, 200]);
    expect(telegram.delivered()).toHaveLength(1);
  });

  it('records the webhook set and answers getWebhookInfo and deleteWebhook', async () => {
    const answer = await postJson('setWebhook', { url: 'https://helpdesk.example/telegram', secret_token: 's3cret', allowed_updates: ['message'] });
    expect(answer.body).toEqual({ ok: true, result: true, description: 'Webhook was set' });
    expect(telegram.webhook).toEqual({ url: 'https://helpdesk.example/telegram', secret_token: 's3cret', allowed_updates: ['message'] });
    expect((await postJson('getWebhookInfo', {})).body.result).toMatchObject({ url: 'https://helpdesk.example/telegram', allowed_updates: ['message'] });
    expect((await postJson('deleteWebhook', {})).body).toMatchObject({ ok: true, result: true });
    expect(telegram.webhook).toBeUndefined();
  });

  it('when down answers every call with a plain 502, and delays answers by the latency set', async () => {
    telegram.setDown(true);
    expect(await call(method('getMe'))).toMatchObject({ status: 502, text: 'Bad Gateway' });
    telegram.setDown(false);
    telegram.setLatency(150);
    const started = Date.now();
    expect((await postJson('sendMessage', { chat_id: 1, text: 'slow' })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('a hung request is recorded, never delivered, and close() still returns at once', async () => {
    const hanging = await startTelegramStandIn({ token: TOKEN });
    hanging.setHang(true);
    const request = fetch(`${hanging.baseUrl}/bot${TOKEN}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: 1, text: 'lost' }) });
    const outcome = request.then(() => 'answered', () => 'cut');
    await until(() => hanging.calls.length === 1 && hanging.calls[0]?.body.text === 'lost');
    await sleep(50);
    const waiting = hanging.waitForDelivered(1, 10_000);
    const waited = waiting.then(() => 'delivered', (error: Error) => error.message);
    const started = Date.now();
    await hanging.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await outcome).toBe('cut');
    expect(await waited).toMatch(/closed/);
    expect(hanging.calls[0]?.status).toBeUndefined();
    expect(hanging.delivered()).toEqual([]);
  });
});

describe('SMS gateway stand-in (Twilio Messages API)', () => {
  let sms: SmsGatewayStandIn;
  const messagesUrl = () => `${sms.baseUrl}/2010-04-01/Accounts/${ACCOUNT}/Messages.json`;
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const send = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    call(messagesUrl(), { method: 'POST', headers: { authorization: basic(ACCOUNT, AUTH_TOKEN), ...headers }, body: new URLSearchParams(fields) });
  const message = { To: '+15005550006', From: '+15005550001', Body: 'Your ticket #12 was answered' };

  beforeAll(async () => {
    sms = await startSmsGatewayStandIn({ accountSid: ACCOUNT, authToken: AUTH_TOKEN });
  });
  afterEach(() => sms.reset());
  afterAll(() => sms.close());

  it('creates a queued message resource with 201 and records the delivery', async () => {
    const answer = await send(message);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ sid: expect.stringMatching(/^SM[0-9a-f]{32}$/), account_sid: ACCOUNT, to: message.To, from: message.From, body: message.Body, status: 'queued', direction: 'outbound-api', date_created: expect.stringMatching(/\+0000$/) });
    expect(sms.delivered(message.To)).toEqual([expect.objectContaining({ sid: answer.body.sid, to: message.To, body: message.Body })]);
    expect(sms.delivered('+15550000000')).toEqual([]);
    expect(sms.calls).toEqual([expect.objectContaining({ method: 'POST', body: message, status: 201 })]);
  });

  it('answers wrong or missing credentials with 401 and missing fields with 400, delivering nothing', async () => {
    const twilio401 = { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 };
    expect(await send(message, { authorization: basic(ACCOUNT, 'wrong') })).toMatchObject({ status: 401, body: twilio401 });
    expect(await call(messagesUrl(), { method: 'POST', body: new URLSearchParams(message) })).toMatchObject({ status: 401, body: twilio401 });
    expect(await send({ From: message.From, Body: 'x' })).toMatchObject({ status: 400, body: { code: 21604, message: "A 'To' phone number is required.", status: 400 } });
    expect(await send({ To: message.To, From: message.From })).toMatchObject({ status: 400, body: { code: 21602, status: 400 } });
    expect(sms.delivered()).toEqual([]);
  });

  it('records I-Twilio-Idempotency-Token but does not de-duplicate on it: two requests are two deliveries', async () => {
    const headers = { 'I-Twilio-Idempotency-Token': 'ticket-12-reply' };
    const first = await send(message, headers);
    const again = await send(message, headers);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.sid).not.toBe(first.body.sid);
    expect(sms.calls.map((c) => c.idempotencyToken)).toEqual(['ticket-12-reply', 'ticket-12-reply']);
    expect(sms.delivered().map((d) => [d.sid, d.idempotency_token])).toEqual([[first.body.sid, 'ticket-12-reply'], [again.body.sid, 'ticket-12-reply']]);
    expect(await sms.waitForDelivered(2)).toHaveLength(2);
  });

  it('fails the next sends as told with a Twilio error body, delivering nothing, then delivers', async () => {
    sms.failNext(1, 500);
    sms.failNext(1, 429, 2);
    expect(await send(message)).toMatchObject({ status: 500, body: { code: 20500, message: 'Internal Server Error', status: 500 } });
    const limited = await fetch(messagesUrl(), { method: 'POST', headers: { authorization: basic(ACCOUNT, AUTH_TOKEN) }, body: new URLSearchParams(message) });
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '2']);
    await limited.body?.cancel();
    expect(sms.delivered()).toEqual([]);
    expect((await send(message)).status).toBe(201);
    expect(sms.calls.map((c) => c.status)).toEqual([500, 429, 201]);
    expect(await sms.waitForDelivered(1)).toHaveLength(1);
  });

  it('a hung request is never delivered and close() still returns at once', async () => {
    const hanging = await startSmsGatewayStandIn({ accountSid: ACCOUNT, authToken: AUTH_TOKEN });
    hanging.setHang(true);
    const request = fetch(`${hanging.baseUrl}/2010-04-01/Accounts/${ACCOUNT}/Messages.json`, { method: 'POST', headers: { authorization: basic(ACCOUNT, AUTH_TOKEN) }, body: new URLSearchParams(message) });
    const outcome = request.then(() => 'answered', () => 'cut');
    await until(() => hanging.calls[0]?.body.Body === message.Body);
    await sleep(50);
    const started = Date.now();
    await hanging.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await outcome).toBe('cut');
    expect(hanging.calls[0]?.status).toBeUndefined();
    expect(hanging.delivered()).toEqual([]);
  });
});
