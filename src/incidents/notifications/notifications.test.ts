import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { helpdesk, type Helpdesk } from '../../../test/support/helpdesk.js';
import { startTelegramStandIn, type TelegramStandIn } from '../../../test/support/stand-ins/telegram-bot-api.js';
import { startTestSystem, type TestSystem } from '../../../test/support/system.js';
import { claimNotifications } from '../data/notification.repository.js';

const BOT_TOKEN = '123456:notifications-test-token-abcdef';
const SECRET = 'notifications-test-secret-0123456789';

let t: TestSystem;
let telegram: TelegramStandIn;
let agent: Helpdesk;
let admin: { Authorization: string };
let nextChat = 5_000_000;

/** Telegram's side of the system: the stand-in, and the rate limits off (one test turns them on by itself). */
const channelConfig = () => ({
  TELEGRAM_BOT_TOKEN: BOT_TOKEN,
  TELEGRAM_WEBHOOK_SECRET: SECRET,
  TELEGRAM_API_URL: telegram.baseUrl,
  TELEGRAM_RATE_PER_SECOND: '0',
  TELEGRAM_CHAT_INTERVAL_MS: '0',
  NOTIFY_RETRY_BASE_MS: '20',
  NOTIFY_MAX_ATTEMPTS: '5',
  NOTIFY_CLAIM_LEASE_MS: '1000',
  CHANNEL_POLL_MS: '20',
});

beforeAll(async () => {
  telegram = await startTelegramStandIn({ token: BOT_TOKEN });
  t = await startTestSystem(channelConfig());
  agent = helpdesk(t, await t.keycloak.sign({ roles: ['agent'], username: 'agent1' }));
  admin = { Authorization: `Bearer ${await t.keycloak.sign({ roles: ['admin'], username: 'admin1' })}` };
});
afterAll(async () => {
  await t?.stop();
  await telegram?.close();
});

async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** An incident a Telegram reporter opened (filed here through the API, as intake would), and its chat. */
async function telegramIncident(title = 'Printer jammed') {
  const chat = String(nextChat++);
  const { body } = await agent.create({ title, channel: 'telegram', reporter: { name: 'Reporter', telegram_chat_id: chat, language: 'en' } }).expect(201);
  return { incident: body as { id: string; key: string }, chat };
}

const notificationsOf = (incidentId: string) => t.database.knex.withSchema('incidents').table('notifications').where({ incident_id: incidentId }).orderBy('created_at');

describe('notifications to reporters', () => {
  it('when the gateway answers 500 three times and then 200, the reporter gets the message once', async () => {
    const { incident, chat } = await telegramIncident();
    telegram.failNext(3, 500);
    await agent.comment(incident.id, { body: 'Try turning it off and on', visibility: 'public' }).expect(201);

    const [message] = await eventually(async () => telegram.delivered(chat).length > 0 && telegram.delivered(chat));
    expect(message?.text).toBe(`${incident.key}: Try turning it off and on`);
    const [row] = await eventually(async () => {
      const rows = await notificationsOf(incident.id);
      return rows[0]?.state === 'sent' && rows;
    });
    expect(row).toMatchObject({ state: 'sent', attempts: 4, template: 'incident.agent_reply' });
    await sleep(100); // a duplicate would need another round; give the worker several
    expect(telegram.delivered(chat)).toHaveLength(1);
  });

  it('an internal note is never sent, and a resolution is sent with its text in the reporter’s language', async () => {
    const chat = String(nextChat++);
    const { body: incident } = await agent.create({ title: 'Не печатает', channel: 'telegram', reporter: { telegram_chat_id: chat, language: 'ru' } }).expect(201);
    await agent.comment(incident.id, { body: 'Customer is a VIP', visibility: 'internal' }).expect(201);
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    await agent.transition(incident.id, { to: 'resolved', resolution: 'Картридж заменён' }).expect(200);
    const texts = await eventually(async () => telegram.delivered(chat).length >= 2 && telegram.delivered(chat).map((message) => message.text));
    expect(texts).toEqual([`Обращение ${incident.key} в работе.`, `Обращение ${incident.key} решено: Картридж заменён\nЕсли проблема осталась, просто напишите сюда.`]);
    expect(texts.join('\n')).not.toContain('VIP');
  });

  it('when the gateway stays down, the message dies, the agent sees an internal note, and an admin’s retry delivers it', async () => {
    const { incident, chat } = await telegramIncident('Cannot log in');
    telegram.setDown(true);
    try {
      await agent.comment(incident.id, { body: 'Reset your password', visibility: 'public' }).expect(201);
      const [dead] = await eventually(async () => {
        const rows = await notificationsOf(incident.id);
        return rows[0]?.state === 'dead' && rows;
      });
      expect(dead).toMatchObject({ attempts: 5, last_error: expect.stringContaining('502') });

      const notes = (await agent.comments(incident.id, { visibility: 'internal' }).expect(200)).body.data;
      expect(notes).toEqual([expect.objectContaining({ author: expect.objectContaining({ kind: 'system' }), body: expect.stringContaining('did not get our message') })]);
      const listed = (await request(t.edge).get('/api/v1/admin/notifications').query({ state: 'dead' }).set(admin).expect(200)).body.data;
      expect(listed.map((row: { id: string }) => row.id)).toContain(dead.id);
      // One incident's messages, by its id or its key; an unknown key has none.
      for (const ref of [incident.id, incident.key]) {
        const own = (await request(t.edge).get('/api/v1/admin/notifications').query({ incident_id: ref }).set(admin).expect(200)).body.data;
        expect(own.map((row: { id: string }) => row.id)).toEqual([dead.id]);
      }
      expect((await request(t.edge).get('/api/v1/admin/notifications').query({ incident_id: 'INC-999999999' }).set(admin).expect(200)).body.data).toEqual([]);
      expect(telegram.delivered(chat)).toHaveLength(0);
    } finally {
      telegram.setDown(false);
    }
    const [dead] = await notificationsOf(incident.id);
    await request(t.edge).post(`/api/v1/admin/notifications/${dead.id}/retry`).set(admin).expect(200);
    await request(t.edge).post(`/api/v1/admin/notifications/${dead.id}/retry`).set(admin).expect((response) => expect([200, 409]).toContain(response.status));
    await eventually(async () => telegram.delivered(chat).length > 0);
    expect(telegram.delivered(chat).map((message) => message.text)).toEqual([`${incident.key}: Reset your password`]);
    const [sent] = await eventually(async () => {
      const rows = await notificationsOf(incident.id);
      return rows[0]?.state === 'sent' && rows;
    });
    expect(sent.state).toBe('sent');
  });

  it('the queue depth and the sends show in the incidents service’s metrics', async () => {
    const metrics = (await request(t.system.services.incidents.url).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/notifications_sent_total\{channel="telegram",outcome="sent",service="incidents"\} [1-9]/);
    expect(metrics).toMatch(/notifications_sent_total\{channel="telegram",outcome="retry",service="incidents"\} [1-9]/);
    expect(metrics).toMatch(/notifications_pending\{service="incidents"\} \d+/);
    expect(metrics).toMatch(/notifications_oldest_pending_age_seconds\{service="incidents"\} [\d.]+/);
  });
});

describe('a notification worker that dies mid-batch', () => {
  let second: TestSystem;
  let gateway: TelegramStandIn;
  beforeAll(async () => {
    gateway = await startTelegramStandIn({ token: BOT_TOKEN });
    // This system's own worker is off: the worker under test is the one that gets killed.
    second = await startTestSystem({ ...channelConfig(), TELEGRAM_API_URL: gateway.baseUrl, NOTIFICATIONS_WORKER: 'false', TELEGRAM_RATE_PER_SECOND: '10' });
  });
  afterAll(async () => {
    await second?.stop();
    await gateway?.close();
  });

  const sentCount = async () => Number((await second.database.knex.withSchema('incidents').table('notifications').where({ state: 'sent' }).count({ n: '*' }))[0]?.n);

  function workerProcess() {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/incidents/notifications/notifications.cli.ts'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: second.database.url, KEYCLOAK_URL: second.keycloak.baseUrl, ...channelConfig(), TELEGRAM_API_URL: gateway.baseUrl, TELEGRAM_RATE_PER_SECOND: '10', NOTIFY_CLAIM_LEASE_MS: '3000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    return { child, output: () => output };
  }

  it('loses no message and sends none twice that the gateway had confirmed', async () => {
    const desk = helpdesk(second, await second.keycloak.sign({ roles: ['agent'], username: 'agent1' }));
    const chats: string[] = [];
    for (let index = 0; index < 20; index++) {
      const chat = String(nextChat++);
      chats.push(chat);
      const { body } = await desk.create({ title: `Batch ${index}`, channel: 'telegram', reporter: { telegram_chat_id: chat } }).expect(201);
      await desk.comment(body.id, { body: `Answer ${index}`, visibility: 'public' }).expect(201);
    }

    if (second.database.kind === 'postgres') {
      // Ten a second: the first ten go out together and take 100 ms each, the next ten a second later.
      gateway.setLatency(100);
      const first = workerProcess();
      await eventually(async () => (await sentCount()) >= 5 || first.child.exitCode !== null, 20_000);
      expect(first.output()).toBe('');
      // From here the gateway takes calls without answering: those messages are in flight, not
      // delivered. Once every answered send is marked sent, the worker is killed.
      gateway.setHang(true);
      await eventually(async () => (await sentCount()) === gateway.delivered().length);
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
      expect(await sentCount()).toBeLessThan(20);
      gateway.setHang(false);
      const restarted = workerProcess();
      try {
        await eventually(async () => (await sentCount()) === 20, 20_000);
      } finally {
        restarted.child.kill('SIGTERM');
        await once(restarted.child, 'exit');
      }
    } else {
      // PGlite serves one connection, so no worker process can run beside the system. A worker
      // that claimed the whole batch and died is its claim left behind; the system's worker
      // (started here) must take the batch over once the claim's lease ends.
      const claimed = await claimNotifications(second.database.knex, new Date(), 1_000, 100, ['telegram']);
      expect(claimed).toHaveLength(20);
      const { startNotifications } = await import('../channels.js');
      const { incidentsDeps } = await import('../index.js');
      const { createNotificationMetrics } = await import('./notifications-metrics.js');
      const { Registry } = await import('prom-client');
      const { createLogger } = await import('../../platform/logging/index.js');
      const registry = new Registry();
      const database = { primary: second.database.knex, replica: second.database.knex, close: async () => undefined };
      const config = { ...second.config, TELEGRAM_API_URL: gateway.baseUrl };
      const worker = startNotifications(config, incidentsDeps(config, database, registry), createNotificationMetrics(registry, () => second.database.knex), createLogger('silent'));
      try {
        await eventually(async () => (await sentCount()) === 20, 20_000);
      } finally {
        await worker.stop();
      }
    }
    for (const chat of chats) expect(gateway.delivered(chat)).toHaveLength(1);
  });
});
