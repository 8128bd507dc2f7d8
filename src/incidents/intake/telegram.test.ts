import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import {
  eventually, handled, holdInboxProcessor, incidentIdsOf, inboxRows, legacyCrmFailing, legacyCustomerWithOwnPhone, metricValue, newPhone, postUpdate, startChannelSystem, telegramUpdate, telegramUser, TELEGRAM_SECRET,
  type ChannelSystem,
} from '../../../test/support/channels.js';
import { databaseRefuses } from '../../../test/support/database-faults.js';
import { eventsOf, helpdesk, type Helpdesk } from '../../../test/support/helpdesk.js';

let channels: ChannelSystem;
let agent: Helpdesk;
let manager: Helpdesk;
let agentToken: string;

const HOUR = 3_600_000;

beforeAll(async () => {
  // A window of an hour, and a clock the tests move past it: no test waits for time to pass.
  // The edge waits for the legacy CRM longer than holdInboxProcessor makes it take.
  channels = await startChannelSystem({ REOPEN_WINDOW: '1h', LEGACY_TIMEOUT_MS: '2500' });
  agentToken = await channels.t.keycloak.sign({ roles: ['agent'], username: 'agent1' });
  agent = helpdesk(channels.t, agentToken);
  manager = helpdesk(channels.t, await channels.t.keycloak.sign({ roles: ['manager'], username: 'manager1' }));
});
afterAll(() => channels?.stop());

type User = ReturnType<typeof telegramUser>;
type Update = ReturnType<User['text']>;

/** Telegram delivers the update; the webhook answers 200; the processor handles it. */
async function deliver(update: Update) {
  await postUpdate(channels, update).expect(200);
  return handled(channels, 'telegram', update.update_id);
}

/** What the bot said in a chat, in order. */
const said = (user: User) => channels.telegram.delivered(user.chatId).map((message) => message.text);

/** Waits until the bot has said `count` things in the chat, and answers them. */
const saidAtLeast = (user: User, count: number) =>
  eventually(() => {
    const texts = said(user);
    expect(texts.length).toBeGreaterThanOrEqual(count);
    return texts;
  });

async function incidentsOf(user: User) {
  const ids = await incidentIdsOf(channels, 'telegram', user.chatId);
  return Promise.all(ids.map(async (id) => (await agent.get(id).expect(200)).body));
}

const publicComments = async (incidentId: string) => (await agent.comments(incidentId, { visibility: 'public' }).expect(200)).body.data;

/** A user whose first message has filed an incident, and that incident. */
async function userWithIncident(text = 'VPN drops every few minutes', user = telegramUser()) {
  await deliver(user.text(text));
  const [incident] = await incidentsOf(user);
  await saidAtLeast(user, 1);
  return { user, incident };
}

describe('the Telegram webhook', () => {
  it('at start, Telegram is told to post updates to PUBLIC_URL/intake/telegram with the secret', () => {
    expect(channels.telegram.webhook).toEqual({ url: `${channels.publicUrl}/intake/telegram`, secret_token: TELEGRAM_SECRET, allowed_updates: ['message', 'edited_message'] });
  });

  it('a bearer token grants nothing here: with any role and no secret 401, with the secret and no token 200', async () => {
    const user = telegramUser();
    for (const role of ['agent', 'manager', 'admin', 'intake']) {
      const update = user.text(`Token of ${role}`);
      const token = await channels.t.keycloak.sign({ roles: [role], username: `${role}-telegram` });
      await postUpdate(channels, update, null).set('Authorization', `Bearer ${token}`).expect(401);
      expect(await inboxRows(channels, 'telegram', update.update_id)).toEqual([]);
    }
    await deliver(user.text('Secret, no token'));
    expect(await incidentIdsOf(channels, 'telegram', user.chatId)).toHaveLength(1);
  });

  it('a wrong or missing secret is 401 and nothing is stored', async () => {
    const rejectedBefore = await metricValue(channels, 'intake_messages_total', { channel: 'telegram', outcome: 'rejected' });
    const user = telegramUser();
    const wrong = user.text('Let me in');
    const missing = user.text('Let me in too');
    const almost = user.text('And me');
    expect((await postUpdate(channels, wrong, 'not-the-webhook-secret').expect(401)).body).toMatchObject({ status: 401 });
    await postUpdate(channels, missing, null).expect(401);
    await postUpdate(channels, almost, `${TELEGRAM_SECRET}x`).expect(401);
    for (const update of [wrong, missing, almost]) expect(await inboxRows(channels, 'telegram', update.update_id)).toEqual([]);
    expect(await metricValue(channels, 'intake_messages_total', { channel: 'telegram', outcome: 'rejected' })).toBe(rejectedBefore + 3);
    // The same update with the right secret goes in: the refusals above were about the secret alone.
    await deliver(wrong);
    expect(await incidentIdsOf(channels, 'telegram', user.chatId)).toHaveLength(1);
  });

  it('the same update_id delivered twice files one incident, and a repeated follow-up adds one comment', async () => {
    const duplicatesBefore = await metricValue(channels, 'intake_messages_total', { channel: 'telegram', outcome: 'duplicate' });
    const user = telegramUser();
    const first = user.text('Mail server rejects attachments');
    await postUpdate(channels, first).expect(200);
    await postUpdate(channels, first).expect(200);
    const followUp = user.text('Even small ones');
    await Promise.all([postUpdate(channels, followUp).expect(200), postUpdate(channels, followUp).expect(200)]);
    // A chat's messages are handled in order: once the follow-up is done, the first is too.
    await handled(channels, 'telegram', followUp.update_id);

    const incidents = await incidentsOf(user);
    expect(incidents).toHaveLength(1);
    expect((await publicComments(incidents[0].id)).map((comment: { body: string }) => comment.body)).toEqual(['Even small ones']);
    expect(await inboxRows(channels, 'telegram', first.update_id)).toHaveLength(1);
    expect(await metricValue(channels, 'intake_messages_total', { channel: 'telegram', outcome: 'duplicate' })).toBe(duplicatesBefore + 2);
    expect(await saidAtLeast(user, 1)).toEqual([expect.stringContaining(incidents[0].key)]);
  });

  it('group chats and channel posts are answered 200 and ignored: nothing filed, nothing said, the inbox row ignored', async () => {
    const groupId = -Number(telegramUser().chatId);
    const from = { id: 42, is_bot: false, first_name: 'Grigory' };
    const updates = [
      telegramUpdate({ message: { message_id: 1, date: 0, chat: { id: groupId, type: 'group', title: 'Office' }, from, text: 'The printer is down again' } }),
      telegramUpdate({ message: { message_id: 2, date: 0, chat: { id: groupId - 1, type: 'supergroup', title: 'Staff' }, from, text: 'Wi-Fi is slow' } }),
      telegramUpdate({ channel_post: { message_id: 3, date: 0, chat: { id: groupId - 2, type: 'channel', title: 'News' }, text: 'Maintenance tonight' } }),
    ];
    for (const update of updates) expect(await deliver(update)).toMatchObject({ state: 'ignored', incident_id: null });
    for (const chatId of [groupId, groupId - 1, groupId - 2]) {
      expect(await incidentIdsOf(channels, 'telegram', String(chatId))).toEqual([]);
      expect(channels.telegram.delivered(chatId)).toEqual([]);
    }
  });

  it('updates of kinds the bot does not handle are answered 200 and ignored', async () => {
    const user = telegramUser();
    const updates = [
      telegramUpdate({ callback_query: { id: '1', from: user.user, chat_instance: 'x', data: 'open' } }),
      telegramUpdate({ my_chat_member: { chat: { id: Number(user.chatId), type: 'private', first_name: 'Anna' }, from: user.user, date: 0, old_chat_member: { status: 'member', user: user.user }, new_chat_member: { status: 'kicked', user: user.user, until_date: 0 } } }),
      telegramUpdate({ some_future_kind: { anything: true } }),
      // A message with nothing to read (a sticker) is no request either.
      user.message({ sticker: { file_id: 'sticker-1', file_unique_id: 's1', type: 'regular', width: 512, height: 512, is_animated: false, is_video: false } } as never),
    ];
    for (const update of updates) expect(await deliver(update)).toMatchObject({ state: 'ignored' });
    expect(await incidentIdsOf(channels, 'telegram', user.chatId)).toEqual([]);
    expect(said(user)).toEqual([]);
  });

  it('a message with characters PostgreSQL cannot store (NUL, a lone surrogate) is still stored and filed', async () => {
    const user = telegramUser();
    const update = user.text('Error code \u0000\ud800 on the screen');
    // Sent as JSON text with the escapes, as Telegram would send them.
    await deliver(update);
    const [incident] = await incidentsOf(user);
    expect(incident.title).toBe('Error code \uFFFD\uFFFD on the screen');
  });

  it('a body that is no Telegram update is 400 with the right secret, and is not stored', async () => {
    const response = await postUpdate(channels, { message: { text: 'no update_id' } }).expect(400);
    expect(response.body).toMatchObject({ status: 400 });
    expect(await channels.t.database.knex.withSchema('incidents').table('inbox').whereRaw("payload->'message'->>'text' = ?", ['no update_id'])).toEqual([]);
  });
});

describe('a conversation with the bot', () => {
  it('a first message files an incident titled by its first line, reported by the sender and the chat, and the chat gets its key', async () => {
    const filedBefore = await metricValue(channels, 'intake_messages_total', { channel: 'telegram', outcome: 'filed' });
    const user = telegramUser({ first_name: 'Boris', last_name: 'Ivanov' });
    const text = 'Printer on floor 3 is jammed\nIt shows E42 since this morning.';
    const row = await deliver(user.text(text));

    const incidents = await incidentsOf(user);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      channel: 'telegram', status: 'new', title: 'Printer on floor 3 is jammed', description: text,
      reporter: { name: 'Boris Ivanov', telegram_chat_id: user.chatId, language: 'en' }, key: expect.stringMatching(/^INC-\d{6}$/),
    });
    expect(row).toMatchObject({ state: 'done', incident_id: incidents[0].id });
    const [reply] = await saidAtLeast(user, 1);
    expect(reply).toContain(incidents[0].key);
    expect(reply).toContain('Printer on floor 3 is jammed');
    expect(await metricValue(channels, 'intake_messages_total', { channel: 'telegram', outcome: 'filed' })).toBe(filedBefore + 1);
  });

  it("a burst of messages from one chat is handled in order: the first files the incident, the rest are its comments in the order sent", async () => {
    const user = telegramUser();
    const updates = ['Laptop will not boot', 'Fan spins', 'Screen stays black', 'Caps lock blinks', 'Bought it last year'].map((text) => user.text(text));
    // Each is stored before the next is sent, as Telegram delivers one chat's updates; none waits to be handled.
    for (const update of updates) await postUpdate(channels, update).expect(200);
    await handled(channels, 'telegram', updates.at(-1)!.update_id);
    const incidents = await incidentsOf(user);
    expect(incidents.map((incident) => incident.title)).toEqual(['Laptop will not boot']);
    expect((await publicComments(incidents[0].id)).map((comment: { body: string }) => comment.body)).toEqual(['Fan spins', 'Screen stays black', 'Caps lock blinks', 'Bought it last year']);
  });

  it('many chats writing at once each get their own incident with their own follow-ups', async () => {
    const users = Array.from({ length: 12 }, () => telegramUser());
    await Promise.all(users.map(async (user, index) => {
      await postUpdate(channels, user.text(`Outage report ${index}`)).expect(200);
      await postUpdate(channels, user.text(`Details ${index}`)).expect(200);
    }));
    for (const [index, user] of users.entries()) {
      const row = await eventually(async () => {
        const ids = await incidentIdsOf(channels, 'telegram', user.chatId);
        expect(ids).toHaveLength(1);
        const comments = await publicComments(ids[0] as string);
        expect(comments).toHaveLength(1);
        return { id: ids[0], comment: comments[0].body };
      });
      expect(row.comment).toBe(`Details ${index}`);
      expect((await agent.get(row.id as string)).body.title).toBe(`Outage report ${index}`);
    }
  });

  it('a reporter who writes in Russian is answered in Russian', async () => {
    const user = telegramUser({ first_name: 'Ольга', last_name: undefined, language_code: 'ru' });
    await deliver(user.text('Не работает принтер'));
    const [incident] = await incidentsOf(user);
    expect(incident.reporter).toEqual({ name: 'Ольга', telegram_chat_id: user.chatId, language: 'ru' });
    expect(await saidAtLeast(user, 1)).toEqual([expect.stringMatching(new RegExp(`^Ваше обращение зарегистрировано под номером ${incident.key}`))]);
  });

  it('a follow-up is a public comment by the reporter, and an incident waiting for the customer goes back in progress', async () => {
    const { user, incident } = await userWithIncident('Cannot print to the colour printer');
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    await agent.transition(incident.id, { to: 'waiting_customer', reason: 'Which printer exactly?' }).expect(200);

    const row = await deliver(user.text('The one next to the kitchen'));
    expect(row).toMatchObject({ state: 'done', incident_id: incident.id });
    expect(await publicComments(incident.id)).toEqual([expect.objectContaining({ body: 'The one next to the kitchen', visibility: 'public', author: expect.objectContaining({ kind: 'reporter', name: 'Anna Petrova' }) })]);
    expect((await agent.get(incident.id)).body.status).toBe('in_progress');
    expect(await incidentIdsOf(channels, 'telegram', user.chatId)).toHaveLength(1);
  });

  it('/start answers with a welcome and files nothing', async () => {
    const user = telegramUser();
    expect(await deliver(user.text('/start'))).toMatchObject({ state: 'done', incident_id: null });
    expect(await saidAtLeast(user, 1)).toEqual([expect.stringContaining('Describe your problem')]);
    expect(await incidentIdsOf(channels, 'telegram', user.chatId)).toEqual([]);
  });

  it('/new with a text files a new incident although one is open', async () => {
    const { user, incident: first } = await userWithIncident('Laptop battery swells');
    await deliver(user.text('/new Monitor flickers\nOnly the left one'));
    const incidents = await incidentsOf(user);
    expect(incidents.map((incident) => [incident.title, incident.status])).toEqual([[first.title, 'new'], ['Monitor flickers', 'new']]);
    expect(incidents[1].description).toBe('Monitor flickers\nOnly the left one');
    expect(await saidAtLeast(user, 2)).toEqual([expect.stringContaining(first.key), expect.stringContaining(incidents[1].key)]);
    expect(await publicComments(first.id)).toEqual([]);
  });

  it('/new alone asks for the problem; the next message files it and the one after threads onto it', async () => {
    const { user, incident: first } = await userWithIncident('Keyboard missing keys');
    await deliver(user.text('/new'));
    expect((await saidAtLeast(user, 2))[1]).toContain('Describe the new problem');
    expect(await incidentIdsOf(channels, 'telegram', user.chatId)).toEqual([first.id]);

    await deliver(user.text('Headset has no sound'));
    await deliver(user.text('Tried another port too'));
    const incidents = await incidentsOf(user);
    expect(incidents.map((incident) => incident.title)).toEqual(['Keyboard missing keys', 'Headset has no sound']);
    expect((await publicComments(incidents[1].id)).map((comment: { body: string }) => comment.body)).toEqual(['Tried another port too']);
    expect(await publicComments(first.id)).toEqual([]);
  });

  it('/new alone, then /new with a text: that text is the new incident, and the next message threads onto it', async () => {
    const { user, incident: first } = await userWithIncident('Docking station dead');
    await deliver(user.text('/new'));
    await deliver(user.text('/new Webcam is black'));
    await deliver(user.text('Only in Teams'));
    const incidents = await incidentsOf(user);
    expect(incidents.map((incident) => incident.title)).toEqual(['Docking station dead', 'Webcam is black']);
    expect((await publicComments(incidents[1].id)).map((comment: { body: string }) => comment.body)).toEqual(['Only in Teams']);
    expect(await publicComments(first.id)).toEqual([]);
  });

  it("/status lists the chat's open incidents with their status, and no others", async () => {
    const { user, incident: first } = await userWithIncident('Phone does not ring');
    await deliver(user.text('/new Voicemail is full'));
    await deliver(user.text('/new Fax is out of paper'));
    const [, second, third] = await incidentsOf(user);
    await agent.transition(second.id, { to: 'in_progress' }).expect(200);
    await agent.transition(third.id, { to: 'cancelled', reason: 'Nobody faxes' }).expect(200);
    const before = said(user).length;

    await deliver(user.text('/status'));
    const status = await eventually(() => {
      const texts = said(user).slice(before).filter((text) => text.startsWith('Your open requests'));
      expect(texts).toHaveLength(1);
      return texts[0] as string;
    });
    expect(status).toContain(`${first.key}: new. Phone does not ring`);
    expect(status).toContain(`${second.key}: in progress. Voicemail is full`);
    expect(status).not.toContain(third.key);
    // Someone else's chat hears only of its own.
    const other = telegramUser();
    await deliver(other.text('/status'));
    expect(await saidAtLeast(other, 1)).toEqual(['You have no open requests.']);
  });

  it('a photo, a document and a voice message with captions: the caption is the text, the file is named by its file_id', async () => {
    const user = telegramUser();
    const photo = [
      { file_id: 'photo-small', file_unique_id: 'p1', width: 90, height: 90 },
      { file_id: 'photo-large', file_unique_id: 'p2', width: 1280, height: 1280 },
    ];
    await deliver(user.message({ photo, caption: 'Screen is cracked\nDropped it' }));
    const [incident] = await incidentsOf(user);
    expect(incident).toMatchObject({ title: 'Screen is cracked', description: 'Screen is cracked\nDropped it' });

    await deliver(user.message({ document: { file_id: 'doc-1', file_unique_id: 'd1', file_name: 'error.log', mime_type: 'text/plain' }, caption: 'Here is the log' }));
    await deliver(user.message({ voice: { file_id: 'voice-1', file_unique_id: 'v1', duration: 4, mime_type: 'audio/ogg' }, caption: 'Listen to the noise' }));

    const comments = await publicComments(incident.id);
    expect(comments.map((comment: { body: string; attachments: unknown[] }) => [comment.body, comment.attachments])).toEqual([
      ['[photo: photo-large]', [{ kind: 'photo', file_id: 'photo-large' }]],
      ['Here is the log\n[document: doc-1]', [{ kind: 'document', file_id: 'doc-1', file_name: 'error.log', mime_type: 'text/plain' }]],
      ['Listen to the noise\n[voice: voice-1]', [{ kind: 'voice', file_id: 'voice-1', mime_type: 'audio/ogg' }]],
    ]);
    expect(await incidentIdsOf(channels, 'telegram', user.chatId)).toHaveLength(1);
  });

  it('a photo without a caption files an incident named after the photo', async () => {
    const user = telegramUser();
    await deliver(user.message({ photo: [{ file_id: 'photo-only', file_unique_id: 'po', width: 800, height: 600 }] }));
    const [incident] = await incidentsOf(user);
    expect(incident).toMatchObject({ title: 'photo from the reporter', description: '' });
    expect(await publicComments(incident.id)).toEqual([expect.objectContaining({ body: '[photo: photo-only]' })]);
  });

  it('an edited message adds a comment marked as an edit and changes nothing else', async () => {
    const { user, incident } = await userWithIncident('Scanner makes blank pages');
    await deliver(user.edited('Scanner makes blank pages on duplex only'));
    expect(await publicComments(incident.id)).toEqual([expect.objectContaining({ body: '(edited) Scanner makes blank pages on duplex only', author: expect.objectContaining({ kind: 'reporter' }) })]);
    expect((await agent.get(incident.id)).body).toMatchObject({ title: 'Scanner makes blank pages', description: 'Scanner makes blank pages', version: incident.version });
    expect(await incidentIdsOf(channels, 'telegram', user.chatId)).toHaveLength(1);
  });

  it('an edit from a chat without incidents files nothing and is marked ignored', async () => {
    const user = telegramUser();
    expect(await deliver(user.edited('Typo fixed'))).toMatchObject({ state: 'ignored', incident_id: null });
    expect(await incidentIdsOf(channels, 'telegram', user.chatId)).toEqual([]);
  });

  it('a message within the reopen window after the resolution reopens the incident', async () => {
    const { user, incident } = await userWithIncident('Projector shows no picture');
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    await agent.transition(incident.id, { to: 'resolved', resolution: 'Replaced the HDMI cable' }).expect(200);
    // 59 minutes of a one-hour window.
    channels.clock.advance(HOUR - 60_000);

    expect(await deliver(user.text('Still no picture'))).toMatchObject({ state: 'done', incident_id: incident.id });
    expect((await agent.get(incident.id)).body).toMatchObject({ status: 'in_progress', resolved_at: null });
    expect((await publicComments(incident.id)).map((comment: { body: string }) => comment.body)).toEqual(['Still no picture']);
    expect(await incidentIdsOf(channels, 'telegram', user.chatId)).toEqual([incident.id]);
  });

  it('a message after the reopen window files a new incident and leaves the resolved one alone', async () => {
    const { user, incident } = await userWithIncident('Badge reader beeps red');
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    const { body: resolved } = await agent.transition(incident.id, { to: 'resolved', resolution: 'Re-issued the badge' }).expect(200);
    channels.clock.advance(HOUR + 60_000);

    await deliver(user.text('Badge reader beeps red again'));
    const incidents = await incidentsOf(user);
    expect(incidents.map((one) => [one.id, one.status])).toEqual([[incident.id, 'resolved'], [expect.any(String), 'new']]);
    expect(incidents[0].version).toBe(resolved.version);
    expect(incidents[1].title).toBe('Badge reader beeps red again');
  });
});

describe('messages from many chats claimed in one round', () => {
  /** Posts the updates while the processor is busy elsewhere, so its next round claims them all together. */
  async function deliverTogether(updates: Update[]) {
    const release = await holdInboxProcessor(channels, 1_500);
    try {
      await Promise.all(updates.map((update) => postUpdate(channels, update).expect(200)));
    } finally {
      await release();
    }
    for (const update of updates) await handled(channels, 'telegram', update.update_id);
  }

  /** When each update was marked handled: one instant for all is one transaction for all. */
  const handledAt = (updates: Update[]) =>
    channels.t.database.knex.withSchema('incidents').table('inbox').where({ channel: 'telegram' }).whereIn('external_id', updates.map((update) => String(update.update_id))).pluck('processed_at');

  const historyOf = async (incidentId: string) => (await agent.history(incidentId).expect(200)).body.data as { kind: string; actor: { id: string; username: string } }[];

  it('are handled in one transaction, each as its own reporter: a new chat gets its own incident and key, a known chat a comment on its own', async () => {
    const known = await Promise.all([0, 1, 2, 3].map((index) => userWithIncident(`Known problem ${index}`, telegramUser({ first_name: `Known${index}`, last_name: 'Reporter' }))));
    const fresh = [0, 1, 2, 3, 4, 5].map((index) => telegramUser({ first_name: `Fresh${index}`, last_name: 'Reporter' }));
    const updates = [...fresh.map((user, index) => user.text(`Batch problem ${index}`)), ...known.map(({ user }, index) => user.text(`Still broken ${index}`))];

    await deliverTogether(updates);
    expect(new Set((await handledAt(updates)).map((at: Date) => at.getTime())).size).toBe(1);

    for (const [index, user] of fresh.entries()) {
      const incidents = await incidentsOf(user);
      expect(incidents.map((incident) => [incident.title, incident.reporter.name])).toEqual([[`Batch problem ${index}`, `Fresh${index} Reporter`]]);
      expect((await historyOf(incidents[0].id)).find((entry) => entry.kind === 'created')?.actor).toMatchObject({ id: `telegram:${user.chatId}`, username: `Fresh${index} Reporter` });
      const [reply] = await saidAtLeast(user, 1);
      expect(reply).toContain(incidents[0].key);
    }
    for (const [index, { user, incident }] of known.entries()) {
      expect((await incidentsOf(user)).map((mine) => mine.id)).toEqual([incident.id]);
      expect(await publicComments(incident.id)).toEqual([expect.objectContaining({ body: `Still broken ${index}`, author: expect.objectContaining({ kind: 'reporter', name: `Known${index} Reporter` }) })]);
      expect((await historyOf(incident.id)).find((entry) => entry.kind === 'comment')?.actor).toMatchObject({ id: `telegram:${user.chatId}`, username: `Known${index} Reporter` });
      expect(said(user)).toHaveLength(1); // the key, when it was filed; a follow-up is not answered
    }
  });

  it('a message that fails takes only itself out: the others are handled once, and it is retried until it goes in', async () => {
    const users = [0, 1, 2, 3].map(() => telegramUser());
    const titles = users.map((user, index) => `${index === 1 ? 'Refused at first' : 'Refusal neighbour'} ${user.chatId}`);
    const updates = users.map((user, index) => user.text(titles[index]!));
    // Refused twice: once in the batch, and again when it is tried alone; the retry goes in.
    const allow = await databaseRefuses(channels.t.database.knex, titles[1]!, 2);
    try {
      await deliverTogether(updates);
    } finally {
      await allow();
    }
    const rows = await channels.t.database.knex.withSchema('incidents').table('inbox').where({ channel: 'telegram' }).whereIn('external_id', updates.map((update) => String(update.update_id))).orderBy('id').select('state', 'attempts', 'last_error');
    // The others went in on their first claim; only the refused one needed a second.
    expect(rows).toEqual([1, 2, 1, 1].map((attempts) => ({ state: 'done', attempts, last_error: null })));
    for (const [index, user] of users.entries()) {
      expect((await incidentsOf(user)).map((incident) => incident.title)).toEqual([titles[index]]);
      // One reply each: the rolled-back batch queued none.
      expect(await saidAtLeast(user, 1)).toHaveLength(1);
    }
  });
});

describe('messages back to the chat', () => {
  it("an agent's public reply reaches the chat exactly once; an internal note never does", async () => {
    const sentBefore = await metricValue(channels, 'notifications_sent_total', { channel: 'telegram', outcome: 'sent' });
    const { user, incident } = await userWithIncident('Shared drive is read-only');
    await agent.comment(incident.id, { body: 'INTERNAL: ask storage team about quota', visibility: 'internal' }).expect(201);
    await agent.comment(incident.id, { body: 'We are looking at the quota now.', visibility: 'public' }).expect(201);
    // A later message is the marker: once it is there, anything queued before it has been sent.
    await agent.transition(incident.id, { to: 'waiting_customer', reason: 'Please try again' }).expect(200);

    const texts = await eventually(() => {
      const all = said(user);
      expect(all.some((text) => text.includes('we are waiting for your answer'))).toBe(true);
      return all;
    });
    expect(texts.filter((text) => text === `${incident.key}: We are looking at the quota now.`)).toHaveLength(1);
    expect(texts.filter((text) => text.includes('INTERNAL'))).toEqual([]);
    // The first public answer moved the incident in progress without a separate notice. (The order
    // of the last two is not asserted: with the rate limits off, one batch sends them side by side.)
    expect(texts).toHaveLength(3);
    expect(texts).toEqual(expect.arrayContaining([expect.stringContaining('is registered as'), `${incident.key}: We are looking at the quota now.`, expect.stringContaining('we are waiting for your answer')]));
    // Counted once the worker has marked them sent, just after the Bot API took them.
    await eventually(async () => expect(await metricValue(channels, 'notifications_sent_total', { channel: 'telegram', outcome: 'sent' })).toBeGreaterThanOrEqual(sentBefore + 3));
  });

  it('resolving a problem behind five Telegram incidents sends five resolution messages, one to each chat', async () => {
    const reporters = await Promise.all(Array.from({ length: 5 }, (_, index) => userWithIncident(`Cannot reach the ERP (${index + 1})`)));
    const { body: problem } = await manager.createProblem({ title: 'ERP unreachable' }).expect(201);
    for (const { incident } of reporters) await manager.link(problem.id, incident.id).expect(200);
    const { body: current } = await manager.getProblem(problem.id).expect(200);
    await manager.patchProblem(problem.id, current.version, { status: 'resolved', resolution: 'The VPN concentrator was restarted' }).expect(200);

    for (const { user, incident } of reporters) {
      const resolutions = await eventually(() => {
        const found = said(user).filter((text) => text.includes('is resolved'));
        expect(found).toHaveLength(1);
        return found;
      });
      expect(resolutions).toEqual([`${incident.key} is resolved: The VPN concentrator was restarted\nIf the problem is still there, just write here.`]);
    }
    const resolutionMessages = channels.telegram.delivered().filter((message) => message.text.includes('The VPN concentrator was restarted'));
    expect(resolutionMessages.map((message) => String(message.chat_id)).sort()).toEqual(reporters.map(({ user }) => user.chatId).sort());
  });
});

describe('a shared contact', () => {
  const contactOf = (user: User, phone: string, owner = user.user.id) => user.message({ contact: { phone_number: phone, first_name: user.user.first_name, user_id: owner } });

  async function clientWithPhone(phone: string) {
    const response = await request(channels.t.edge).post('/api/v1/clients').set('Authorization', `Bearer ${agentToken}`).send({ name: `Client ${phone}`, phone }).expect(201);
    return response.body as { id: string };
  }

  it("stores the phone on the reporter and links the client the edge finds by it", async () => {
    const foundBefore = await metricValue(channels, 'intake_client_lookups_total', { outcome: 'found' });
    const phone = newPhone();
    // Spelt differently from what Telegram sends: the search compares digits.
    const client = await clientWithPhone(`${phone.slice(0, 3)} (${phone.slice(3, 5)}) ${phone.slice(5)}`);
    const { user, incident } = await userWithIncident('Invoice shows the wrong address');
    // Telegram sends the number without the plus.
    await deliver(contactOf(user, phone.slice(1)));

    expect((await agent.get(incident.id)).body).toMatchObject({ reporter: { name: 'Anna Petrova', telegram_chat_id: user.chatId, phone: phone.slice(1) }, client_id: client.id });
    expect((await saidAtLeast(user, 2))[1]).toBe('Thank you, your phone number is saved and we found your customer record.');
    expect(await metricValue(channels, 'intake_client_lookups_total', { outcome: 'found' })).toBe(foundBefore + 1);
    // Recorded as an edit of the incident would be: history, and an event for other systems.
    const history = (await agent.history(incident.id).expect(200)).body.data.filter((entry: { kind: string }) => entry.kind === 'field');
    expect(history.map((entry: { field: string; after: unknown }) => [entry.field, entry.after])).toEqual([['reporter', expect.objectContaining({ phone: phone.slice(1) })], ['client_id', client.id]]);
    const updates = (await eventsOf(channels.t, incident.id)).filter((event) => event.type === 'incident.updated');
    expect(updates).toEqual([expect.objectContaining({ payload: expect.objectContaining({ data: expect.objectContaining({ incident: expect.objectContaining({ client_id: client.id }) }) }) })]);
    // What comes later from the chat still belongs to that client.
    await deliver(user.text('/new Second invoice is wrong too'));
    const incidents = await incidentsOf(user);
    expect(incidents[1]).toMatchObject({ client_id: client.id, reporter: { phone: phone.slice(1) } });
  });

  it('finds a customer still only in the legacy CRM', async () => {
    const customer = await legacyCustomerWithOwnPhone(channels, 7);
    const { user, incident } = await userWithIncident('Order never arrived');
    await deliver(contactOf(user, customer.phoneNumber));
    const { body: clients } = await request(channels.t.edge).get('/api/v1/clients').query({ phone: customer.phoneNumber }).set('Authorization', `Bearer ${agentToken}`).expect(200);
    expect(clients.data).toEqual([expect.objectContaining({ legacy_id: customer.customerId, source: 'legacy' })]);
    expect((await agent.get(incident.id)).body).toMatchObject({ client_id: clients.data[0].id, reporter: { phone: customer.phoneNumber } });
  });

  it('a contact shared while the legacy CRM fails keeps the phone, and the next message finds the customer', async () => {
    const customer = await legacyCustomerWithOwnPhone(channels, 400);
    const { user, incident } = await userWithIncident('Refund not received');
    await legacyCrmFailing(channels, true);
    try {
      await deliver(contactOf(user, customer.phoneNumber));
    } finally {
      await legacyCrmFailing(channels, false);
    }
    expect((await agent.get(incident.id)).body).toMatchObject({ client_id: null, reporter: { phone: customer.phoneNumber } });
    expect((await saidAtLeast(user, 2))[1]).toBe('Thank you, your phone number is saved.');

    await deliver(user.text('It has been two weeks'));
    const { body: clients } = await request(channels.t.edge).get('/api/v1/clients').query({ phone: customer.phoneNumber }).set('Authorization', `Bearer ${agentToken}`).expect(200);
    expect((await agent.get(incident.id)).body.client_id).toBe(clients.data[0].id);
  });

  it('a phone shared before the first message goes onto the incident filed next', async () => {
    const phone = newPhone();
    const client = await clientWithPhone(phone);
    const user = telegramUser();
    await deliver(contactOf(user, phone));
    expect(await saidAtLeast(user, 1)).toEqual(['Thank you, your phone number is saved and we found your customer record.']);
    expect(await incidentIdsOf(channels, 'telegram', user.chatId)).toEqual([]);

    await deliver(user.text('Cannot log in to the portal'));
    const [incident] = await incidentsOf(user);
    expect(incident).toMatchObject({ client_id: client.id, reporter: { telegram_chat_id: user.chatId, phone } });
  });

  it('a phone no client has is stored, and no client is linked', async () => {
    const phone = newPhone();
    const { user, incident } = await userWithIncident('Printer offline');
    await deliver(contactOf(user, phone));
    expect((await agent.get(incident.id)).body).toMatchObject({ client_id: null, reporter: { phone } });
    expect((await saidAtLeast(user, 2))[1]).toBe('Thank you, your phone number is saved.');
  });

  it("somebody else's contact card is not taken as the reporter's phone", async () => {
    const phone = newPhone();
    await clientWithPhone(phone);
    const { user, incident } = await userWithIncident('Need access to the CRM');
    expect(await deliver(contactOf(user, phone, user.user.id + 1))).toMatchObject({ state: 'ignored' });
    const after = (await agent.get(incident.id)).body;
    expect(after.client_id).toBeNull();
    expect(after.reporter.phone).toBeUndefined();
  });
});
