import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import twilio from 'twilio';
import {
  eventually, handled, inboundSms, incidentIdsOf, inboxRows, legacyCrmFailing, legacyCustomerWithOwnPhone, metricValue, newPhone, postSms, startChannelSystem, SMS_FROM, TWILIO_AUTH_TOKEN,
  type ChannelSystem,
} from '../../../test/support/channels.js';
import { helpdesk, type Helpdesk } from '../../../test/support/helpdesk.js';

let channels: ChannelSystem;
let agent: Helpdesk;
let agentToken: string;

const HOUR = 3_600_000;

beforeAll(async () => {
  channels = await startChannelSystem({ REOPEN_WINDOW: '1h' });
  agentToken = await channels.t.keycloak.sign({ roles: ['agent'], username: 'agent1' });
  agent = helpdesk(channels.t, agentToken);
});
afterAll(() => channels?.stop());

/** The gateway delivers the SMS; the webhook answers 200 with empty TwiML; the processor handles it. */
async function deliver(params: Record<string, string>) {
  const response = await postSms(channels, params).expect(200);
  expect(response.type).toBe('text/xml');
  expect(response.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  return handled(channels, 'sms', params.MessageSid as string);
}

/** The SMS sent to a number, in order. */
const smsTo = (phone: string) => channels.sms.delivered(phone).map((sms) => sms.body);

const smsAtLeast = (phone: string, count: number) =>
  eventually(() => {
    const texts = smsTo(phone);
    expect(texts.length).toBeGreaterThanOrEqual(count);
    return texts;
  });

async function incidentsOf(phone: string) {
  const ids = await incidentIdsOf(channels, 'sms', phone);
  return Promise.all(ids.map(async (id) => (await agent.get(id).expect(200)).body));
}

const publicComments = async (incidentId: string) => (await agent.comments(incidentId, { visibility: 'public' }).expect(200)).body.data;

async function clientWithPhone(phone: string) {
  const response = await request(channels.t.edge).post('/api/v1/clients').set('Authorization', `Bearer ${agentToken}`).send({ name: `Client ${phone}`, phone }).expect(201);
  return response.body as { id: string };
}

describe('the SMS webhook signature', () => {
  it("accepts a request signed by the twilio library's own helpers", async () => {
    const params = inboundSms(newPhone(), 'Signed by the book');
    const url = `${channels.publicUrl}/intake/sms`;
    const signature = twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, url, params);
    // The library's validator agrees with the signature it computed, so the test signs as Twilio does.
    expect(twilio.validateRequest(TWILIO_AUTH_TOKEN, signature, url, params)).toBe(true);
    await postSms(channels, params, { signature }).expect(200);
    expect(await handled(channels, 'sms', params.MessageSid as string)).toMatchObject({ state: 'done' });
  });

  it('accepts a signed request that repeats a parameter, as the twilio library signs it', async () => {
    const sms = inboundSms(newPhone(), 'Two tags');
    await postSms(channels, { ...sms, Tag: ['urgent', 'billing', 'urgent'] }).expect(200);
    expect(await handled(channels, 'sms', sms.MessageSid as string)).toMatchObject({ state: 'done' });
  });

  it('accepts a webhook URL with a query string, which Twilio signs with the URL', async () => {
    const params = inboundSms(newPhone(), 'Query string');
    await postSms(channels, params, { path: '/intake/sms?line=support&lang=en' }).expect(200);
    expect(await handled(channels, 'sms', params.MessageSid as string)).toMatchObject({ state: 'done' });
    // The query is part of what is signed: the same request signed without it is refused.
    const unsigned = inboundSms(newPhone(), 'Query string, not signed');
    await postSms(channels, unsigned, { path: '/intake/sms?line=support', signedUrl: `${channels.publicUrl}/intake/sms` }).expect(403);
  });

  it('a bearer token grants nothing here: with any role and no signature 403, with the signature and no token 200', async () => {
    for (const role of ['agent', 'manager', 'admin', 'intake']) {
      const params = inboundSms(newPhone(), `Token of ${role}`);
      const token = await channels.t.keycloak.sign({ roles: [role], username: `${role}-sms` });
      await postSms(channels, params, { signature: null }).set('Authorization', `Bearer ${token}`).expect(403);
      expect(await inboxRows(channels, 'sms', params.MessageSid as string)).toEqual([]);
    }
    const signed = inboundSms(newPhone(), 'Signature, no token');
    await postSms(channels, signed).expect(200);
    expect(await handled(channels, 'sms', signed.MessageSid as string)).toMatchObject({ state: 'done' });
  });

  it('refuses a changed parameter, URL or token, or no signature, with 403, and stores nothing', async () => {
    const rejectedBefore = await metricValue(channels, 'intake_messages_total', { channel: 'sms', outcome: 'rejected' });
    const from = newPhone();
    const url = `${channels.publicUrl}/intake/sms`;
    const changed = inboundSms(from, 'Refund me 1000');
    const added = inboundSms(from, 'Hello', { MediaUrl0: 'https://example.com/cat.jpg' });
    const signedWithoutMedia = Object.fromEntries(Object.entries(added).filter(([name]) => name !== 'MediaUrl0'));
    const attempts: { params: Record<string, string>; signedParams?: Record<string, string>; signedUrl?: string; authToken?: string; signature?: string | null }[] = [
      // Signed, then the body changed on the way.
      { params: changed, signedParams: { ...changed, Body: 'Refund me 10' } },
      // A parameter added that was not signed.
      { params: added, signedParams: signedWithoutMedia },
      // Signed for another URL: the incidents service's own address, not the public one.
      { params: inboundSms(from, 'Hello'), signedUrl: `${channels.t.system.services.incidents.url}/intake/sms` },
      { params: inboundSms(from, 'Hello'), signedUrl: `${url}?extra=1` },
      { params: inboundSms(from, 'Hello'), signedUrl: url.replace('http://', 'https://') },
      // Signed with another account's token.
      { params: inboundSms(from, 'Hello'), authToken: 'somebody-elses-auth-token' },
      { params: inboundSms(from, 'Hello'), signature: null },
      { params: inboundSms(from, 'Hello'), signature: 'bm90IGEgc2lnbmF0dXJl' },
    ];
    for (const { params, ...signing } of attempts) {
      const response = await postSms(channels, params, signing);
      expect({ params, status: response.status }).toEqual({ params, status: 403 });
      expect(await inboxRows(channels, 'sms', params.MessageSid as string)).toEqual([]);
    }
    expect(await metricValue(channels, 'intake_messages_total', { channel: 'sms', outcome: 'rejected' })).toBe(rejectedBefore + attempts.length);
    expect(await incidentIdsOf(channels, 'sms', from)).toEqual([]);
    expect(smsTo(from)).toEqual([]);
  });
});

describe('a conversation by SMS', () => {
  it('an SMS from a new number files an incident, and the reporter gets its key by SMS from our number', async () => {
    const phone = newPhone();
    const row = await deliver(inboundSms(phone, 'Router blinks orange\nSince the storm'));
    const incidents = await incidentsOf(phone);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ channel: 'sms', status: 'new', title: 'Router blinks orange', description: 'Router blinks orange\nSince the storm', reporter: { phone, language: 'en' } });
    expect(row).toMatchObject({ state: 'done', incident_id: incidents[0].id });
    const [reply] = await smsAtLeast(phone, 1);
    expect(reply).toContain(incidents[0].key);
    expect(channels.sms.delivered(phone)[0]).toMatchObject({ from: SMS_FROM, to: phone });
  });

  it('a second SMS from the number threads onto its open incident, and one waiting for the customer goes back in progress', async () => {
    const phone = newPhone();
    await deliver(inboundSms(phone, 'No dial tone'));
    const [incident] = await incidentsOf(phone);
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    await agent.transition(incident.id, { to: 'waiting_customer', reason: 'Which line?' }).expect(200);

    await deliver(inboundSms(phone, 'The fax line'));
    expect(await publicComments(incident.id)).toEqual([expect.objectContaining({ body: 'The fax line', author: expect.objectContaining({ kind: 'reporter' }) })]);
    expect((await agent.get(incident.id)).body.status).toBe('in_progress');
    expect(await incidentIdsOf(channels, 'sms', phone)).toEqual([incident.id]);
  });

  it('an SMS within the reopen window reopens the resolved incident; one after it files a new incident', async () => {
    const phone = newPhone();
    await deliver(inboundSms(phone, 'Desk phone reboots'));
    const [incident] = await incidentsOf(phone);
    await agent.transition(incident.id, { to: 'in_progress' }).expect(200);
    await agent.transition(incident.id, { to: 'resolved', resolution: 'New firmware' }).expect(200);

    await deliver(inboundSms(phone, 'It rebooted again'));
    expect((await agent.get(incident.id)).body.status).toBe('in_progress');
    await agent.transition(incident.id, { to: 'resolved', resolution: 'Replaced the phone' }).expect(200);
    channels.clock.advance(HOUR + 60_000);

    await deliver(inboundSms(phone, 'The new phone reboots too'));
    const incidents = await incidentsOf(phone);
    expect(incidents.map((one) => [one.title, one.status])).toEqual([['Desk phone reboots', 'resolved'], ['The new phone reboots too', 'new']]);
  });

  it('MMS media are referenced in a comment', async () => {
    const phone = newPhone();
    await deliver(inboundSms(phone, 'Broken screen, photo attached', { NumMedia: '1', MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1', MediaContentType0: 'image/jpeg' }));
    const [incident] = await incidentsOf(phone);
    expect(await publicComments(incident.id)).toEqual([
      expect.objectContaining({ attachments: [{ kind: 'document', file_id: 'https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1', mime_type: 'image/jpeg' }] }),
    ]);
  });

  it('an empty SMS is answered 200 and ignored', async () => {
    const phone = newPhone();
    expect(await deliver(inboundSms(phone, '   '))).toMatchObject({ state: 'ignored', incident_id: null });
    expect(await incidentIdsOf(channels, 'sms', phone)).toEqual([]);
  });

  it('a MessageSid delivered twice is handled once', async () => {
    const duplicatesBefore = await metricValue(channels, 'intake_messages_total', { channel: 'sms', outcome: 'duplicate' });
    const phone = newPhone();
    const first = inboundSms(phone, 'Copier jams');
    await postSms(channels, first).expect(200);
    await postSms(channels, first).expect(200);
    const second = inboundSms(phone, 'On every page');
    await Promise.all([postSms(channels, second).expect(200), postSms(channels, second).expect(200)]);
    await handled(channels, 'sms', second.MessageSid as string);

    const incidents = await incidentsOf(phone);
    expect(incidents).toHaveLength(1);
    expect((await publicComments(incidents[0].id)).map((comment: { body: string }) => comment.body)).toEqual(['On every page']);
    expect(await inboxRows(channels, 'sms', first.MessageSid as string)).toHaveLength(1);
    expect(await metricValue(channels, 'intake_messages_total', { channel: 'sms', outcome: 'duplicate' })).toBe(duplicatesBefore + 2);
  });

  it("an agent's public reply goes to the reporter by SMS exactly once; an internal note never does", async () => {
    const phone = newPhone();
    await deliver(inboundSms(phone, 'Voicemail PIN forgotten'));
    const [incident] = await incidentsOf(phone);
    await agent.comment(incident.id, { body: 'INTERNAL: reset via PBX console', visibility: 'internal' }).expect(201);
    await agent.comment(incident.id, { body: 'Your PIN is reset to 0000.', visibility: 'public' }).expect(201);
    await agent.transition(incident.id, { to: 'resolved', resolution: 'PIN reset' }).expect(200);

    const texts = await eventually(() => {
      const all = smsTo(phone);
      expect(all.some((text) => text.includes('is resolved'))).toBe(true);
      return all;
    });
    // In any order: with the rate limits off, messages of one batch go out side by side.
    expect(texts).toHaveLength(3);
    expect(texts).toEqual(expect.arrayContaining([expect.stringContaining('is registered as'), `${incident.key}: Your PIN is reset to 0000.`, expect.stringContaining(`${incident.key} is resolved: PIN reset`)]));
  });
});

describe('the phone finds the client', () => {
  it("an SMS from a client's number links the incident to that client, however the number is spelt there", async () => {
    const phone = newPhone();
    const client = await clientWithPhone(`${phone.slice(0, 3)} ${phone.slice(3, 5)} ${phone.slice(5, 9)}-${phone.slice(9)}`);
    await deliver(inboundSms(phone, 'Cannot pay my invoice'));
    const [incident] = await incidentsOf(phone);
    expect(incident).toMatchObject({ client_id: client.id, reporter: { phone } });
  });

  it('an SMS from a customer still only in the legacy CRM links that customer', async () => {
    const customer = await legacyCustomerWithOwnPhone(channels, 11);
    // Twilio sends E.164: a plus and the digits.
    const phone = `+${customer.phoneNumber.replace(/\D/g, '')}`;
    await deliver(inboundSms(phone, 'Where is my order?'));
    const [incident] = await incidentsOf(phone);
    const { body: clients } = await request(channels.t.edge).get('/api/v1/clients').query({ phone }).set('Authorization', `Bearer ${agentToken}`).expect(200);
    expect(clients.data).toEqual([expect.objectContaining({ legacy_id: customer.customerId, source: 'legacy' })]);
    expect(incident.client_id).toBe(clients.data[0].id);
  });

  it('a lookup the legacy CRM could not answer is tried again with the next SMS, which links the open incident', async () => {
    const customer = await legacyCustomerWithOwnPhone(channels, 300);
    const phone = `+${customer.phoneNumber.replace(/\D/g, '')}`;
    await legacyCrmFailing(channels, true);
    try {
      await deliver(inboundSms(phone, 'Is my parcel lost?'));
    } finally {
      await legacyCrmFailing(channels, false);
    }
    const [incident] = await incidentsOf(phone);
    expect(incident.client_id).toBeNull();

    await deliver(inboundSms(phone, 'Any news?'));
    const { body: clients } = await request(channels.t.edge).get('/api/v1/clients').query({ phone }).set('Authorization', `Bearer ${agentToken}`).expect(200);
    expect(clients.data).toEqual([expect.objectContaining({ legacy_id: customer.customerId })]);
    expect((await agent.get(incident.id)).body.client_id).toBe(clients.data[0].id);
  });

  it('a number no client has files the incident without a client', async () => {
    const phone = newPhone();
    await deliver(inboundSms(phone, 'Who am I?'));
    const [incident] = await incidentsOf(phone);
    expect(incident.client_id).toBeNull();
  });
});
