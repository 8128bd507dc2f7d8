import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type ChannelModel, type ConfirmChannel, type GetMessage, type Options } from 'amqplib';
import { Registry } from 'prom-client';
import request from 'supertest';
import { createLogger } from '../../platform/logging/index.js';
import { incidentsDeps } from '../index.js';
import { ATTEMPTS_HEADER, REASON_HEADER, startEsbConsumer, type EsbConsumer, type EsbOutcome } from './esb/amqp-consumer.js';
import { esbMessageHandler, type EsbMessageHandler } from './esb/esb-message.js';
import { databaseRefuses } from '../../../test/support/database-faults.js';
import { amqpForTests, deleteQueues, uniqueQueueName } from '../../../test/support/rabbitmq.js';
import { startTestSystem, type TestSystem } from '../../../test/support/system.js';

/**
 * A TCP link to the broker on loopback that the test can cut, as a crash or a pulled cable
 * would: the broker sees the connection end, and bytes not yet forwarded (an ack) are lost.
 */
async function startBrokerLink(brokerUrl: string) {
  const broker = new URL(brokerUrl);
  const sockets = new Set<Socket>();
  let refusing = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    track(client);
    if (refusing) return void client.destroy();
    const upstream = net.connect(Number(broker.port || 5672), broker.hostname);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = new URL(brokerUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  const cut = () => sockets.forEach((socket) => socket.destroy());
  return {
    url: url.toString(),
    /** Ends every connection through the link at once. */
    cut,
    /** Cuts, and refuses connections until `up()`. */
    down() {
      refusing = true;
      cut();
    },
    up() {
      refusing = false;
    },
    close: () => {
      refusing = true;
      cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

// AMQP_URL (CI), else a local RabbitMQ taking a guest login; with neither there is nothing to run against.
const amqp = await amqpForTests();
if (amqp) {
  describe('the service-bus consumer', () => amqpSuite(amqp.url));
} else {
  describe.skip('the service-bus consumer (skipped: no AMQP_URL and no RabbitMQ on 127.0.0.1:5672; CI runs these)', () => amqpSuite('amqp://unset'));
}

function amqpSuite(brokerUrl: string): void {
  const queue = uniqueQueueName('figdesk.test.esb');
  const deadLetterQueue = `${queue}.dead`;
  const queues = [queue, deadLetterQueue];
  let t: TestSystem;
  let systemLink: Awaited<ReturnType<typeof startBrokerLink>>;
  let bus: ChannelModel;
  let channel: ConfirmChannel;
  const silent = createLogger('silent');

  beforeAll(async () => {
    // The helpdesk reaches the broker through a link the test can cut, to take its consumer away for a while.
    systemLink = await startBrokerLink(brokerUrl);
    t = await startTestSystem({ AMQP_URL: systemLink.url, ESB_QUEUE: queue, ESB_DEAD_LETTER_QUEUE: deadLetterQueue, ESB_MAX_ATTEMPTS: '3' });
    bus = await connect(brokerUrl);
    bus.on('error', () => undefined);
    channel = await bus.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    await channel.assertQueue(deadLetterQueue, { durable: true });
  });
  afterAll(async () => {
    // The helpdesk first: a running consumer would declare the queues again.
    await t?.stop();
    await systemLink?.close();
    await bus?.close().catch(() => undefined);
    await deleteQueues(brokerUrl, queues);
  });

  /** Publishes as another system would, confirmed by the broker. */
  async function publish(to: string, body: unknown, properties: Options.Publish = {}): Promise<void> {
    const content = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    channel.sendToQueue(to, content, { persistent: true, contentType: 'application/json', ...properties });
    await channel.waitForConfirms();
  }

  const deadLettered: GetMessage[] = [];
  /** Waits for a dead-lettered message, taking whatever arrives there off the queue on the way. */
  async function deadLetterWhere(from: string, matches: (message: GetMessage) => boolean): Promise<GetMessage> {
    return eventually(`a dead letter in ${from}`, async () => {
      for (let message = await channel.get(from, { noAck: true }); message; message = await channel.get(from, { noAck: true })) deadLettered.push(message);
      return deadLettered.find(matches);
    });
  }
  const withMessageId = (messageId: string) => (message: GetMessage) => message.properties.messageId === messageId;

  const incidents = () => t.database.knex.withSchema('incidents').table('incidents');
  const incidentsTitled = (title: string) => incidents().where({ title }).select('id', 'channel', 'priority');
  const inboxRowsOf = (messageId: string) => t.database.knex.withSchema('incidents').table('inbox').where({ channel: 'esb', external_id: `amqp:${messageId}` }).select('incident_id', 'state');
  const countOf = async (rows: Promise<{ count: number | string }[]>) => Number((await rows)[0]?.count);
  const everything = async () => ({
    incidents: await countOf(incidents().count({ count: '*' })),
    inbox: await countOf(t.database.knex.withSchema('incidents').table('inbox').count({ count: '*' })),
  });
  const queueState = async (name: string) => {
    const { messageCount, consumerCount } = await channel.checkQueue(name);
    return { messages: messageCount, consumers: consumerCount };
  };

  /** intake_messages_total of the service bus for one outcome, as the incidents service exports it. */
  async function outcomes(outcome: string): Promise<number> {
    const text = (await request(t.system.services.incidents.url).get('/metrics').expect(200)).text;
    const line = text.split('\n').find((entry) => entry.startsWith('intake_messages_total{') && entry.includes('channel="esb"') && entry.includes(`outcome="${outcome}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  /**
   * Deps like the helpdesk's own, on its database, and a registry of their own (the service's
   * counters are already registered in its).
   */
  function helpdeskDeps() {
    const database = t.database.factory('esb-test-consumer');
    return { deps: incidentsDeps(t.config, database, new Registry()), close: () => database.close() };
  }

  /**
   * A consumer of the test's own around the real handler: `around` may act once the handler has
   * answered (committed) and before the consumer acknowledges.
   */
  async function ownConsumer(options: { queue: string; url?: string; maxAttempts?: number; around?: (outcome: 'filed' | 'duplicate') => void }) {
    const { deps, close } = helpdeskDeps();
    const real = esbMessageHandler(deps, { queue: options.queue });
    const calls: string[] = [];
    const seen: EsbOutcome[] = [];
    const handle: EsbMessageHandler = async (body, messageId) => {
      calls.push(messageId ?? '(none)');
      const outcome = await real(body, messageId);
      options.around?.(outcome);
      return outcome;
    };
    const consumer: EsbConsumer = await startEsbConsumer({
      url: options.url ?? brokerUrl,
      queue: options.queue,
      deadLetterQueue: `${options.queue}.dead`,
      maxAttempts: options.maxAttempts ?? 3,
      retryDelayMs: 5,
      handle,
      onOutcome: (outcome) => seen.push(outcome),
      logger: silent,
    });
    return {
      calls,
      seen,
      ready: () => consumer.check(),
      async stop() {
        await consumer.stop();
        await close();
      },
    };
  }

  /**
   * Makes the database itself refuse the insert of an incident with this title, `times` times
   * (a sequence counts them: it does not roll back with the refused transaction).
   */
  it('a persistent message with a message id files one incident with channel esb, and is acknowledged once that is committed', async () => {
    const messageId = randomUUID();
    const title = `Stock sync failed ${messageId.slice(0, 8)}`;
    const filedBefore = await outcomes('filed');

    await publish(queue, { title, priority: 'P2', description: 'from the ERP' }, { messageId });

    const [incident] = await eventually('the incident', async () => (await incidentsTitled(title)).length > 0 && incidentsTitled(title));
    expect(incident).toMatchObject({ channel: 'esb', priority: 'P2' });
    expect(await inboxRowsOf(messageId)).toEqual([{ incident_id: incident?.id, state: 'done' }]);
    await eventually('the acknowledgement', async () => (await outcomes('filed')) === filedBefore + 1);
    expect(await queueState(queue)).toEqual({ messages: 0, consumers: 1 });
    expect(await incidentsTitled(title)).toHaveLength(1);
  });

  it('when the database refuses the write, the message is not lost: it comes back and is filed once', async () => {
    const messageId = randomUUID();
    const title = `Refused once ${messageId.slice(0, 8)}`;
    const allow = await databaseRefuses(t.database.knex, title, 1);
    try {
      const retriedBefore = await outcomes('retried');
      await publish(queue, { title }, { messageId });

      await eventually('the retry', async () => (await outcomes('retried')) === retriedBefore + 1);
      const [incident] = await eventually('the incident', async () => (await incidentsTitled(title)).length > 0 && incidentsTitled(title));
      expect(await inboxRowsOf(messageId)).toEqual([{ incident_id: incident?.id, state: 'done' }]);
      await eventually('an empty queue', async () => (await queueState(queue)).messages === 0);
      expect(await incidentsTitled(title)).toHaveLength(1);
    } finally {
      await allow();
    }
  });

  const poison: [kind: string, body: unknown, hasMessageId: boolean, reason: RegExp][] = [
    ['a body that is not JSON', '{"title": "cut off', true, /^the body is not JSON$/],
    ['an invalid incident', { title: '', priority: 'P9' }, true, /^invalid incident: title: .*; priority: /],
    ['an incident with fields the API does not take', { title: 'Mail relay down', channel: 'web' }, true, /^invalid incident: .*channel/],
    ['no message id', { title: 'No message id' }, false, /^no message-id property/],
  ];
  it.each(poison)('a poison message (%s) goes to the dead-letter queue with the reason, and nothing is filed', async (_kind, body, hasMessageId, reason) => {
    const before = await everything();
    const correlationId = randomUUID(); // to find it again, message id or not

    await publish(queue, body, { correlationId, ...(hasMessageId ? { messageId: randomUUID() } : {}) });

    const dead = await deadLetterWhere(deadLetterQueue, (message) => message.properties.correlationId === correlationId);
    expect(dead.properties.headers?.[REASON_HEADER]).toMatch(reason);
    expect(dead.properties.headers?.['x-figdesk-source-queue']).toBe(queue);
    expect(dead.content.toString()).toBe(typeof body === 'string' ? body : JSON.stringify(body));
    expect(dead.properties.deliveryMode).toBe(2);
    await eventually('an empty queue', async () => (await queueState(queue)).messages === 0);
    expect(await everything()).toEqual(before);
  });

  it('a message id used again with another body is dead-lettered as a refusal, and the first incident stays', async () => {
    const messageId = randomUUID();
    const title = `Reused id ${messageId.slice(0, 8)}`;
    await publish(queue, { title }, { messageId });
    const [first] = await eventually('the incident', async () => (await incidentsTitled(title)).length > 0 && incidentsTitled(title));

    await publish(queue, { title, priority: 'P1' }, { messageId });

    const dead = await deadLetterWhere(deadLetterQueue, withMessageId(messageId));
    expect(dead.properties.headers?.[REASON_HEADER]).toMatch(/different body/);
    expect(await incidentsTitled(title)).toEqual([{ id: first?.id, channel: 'esb', priority: 'P3' }]);
  });

  it('a consumer killed after the commit and before the ack: the broker redelivers, and the redelivery files nothing new', async () => {
    const messageId = randomUUID();
    const title = `Killed before ack ${messageId.slice(0, 8)}`;

    // The helpdesk's consumer away for a moment, so the message goes to the one that dies.
    systemLink.down();
    await eventually('the helpdesk consumer gone', async () => (await queueState(queue)).consumers === 0);
    const crashLink = await startBrokerLink(brokerUrl);
    let committed!: () => void;
    const killed = new Promise<void>((resolve) => (committed = resolve));
    const doomed = await ownConsumer({
      queue,
      url: crashLink.url,
      around: () => {
        // The handler has committed; its connection dies before the consumer can acknowledge.
        crashLink.down();
        committed();
      },
    });
    try {
      await publish(queue, { title }, { messageId });
      await killed;
      expect(doomed.calls).toEqual([messageId]);
      expect(await incidentsTitled(title)).toHaveLength(1);
      // Committed but never acknowledged: the broker holds the message again.
      await eventually('the message back in the queue', async () => {
        const state = await queueState(queue);
        return state.consumers === 0 && state.messages === 1;
      });
    } finally {
      await doomed.stop();
      await crashLink.close();
    }

    const duplicatesBefore = await outcomes('duplicate');
    systemLink.up();
    await eventually('the redelivery handled by the helpdesk', async () => (await outcomes('duplicate')) === duplicatesBefore + 1, 20_000);
    expect(await queueState(queue)).toEqual({ messages: 0, consumers: 1 });
    const incident = await incidentsTitled(title);
    expect(incident).toHaveLength(1);
    expect(await inboxRowsOf(messageId)).toEqual([{ incident_id: incident[0]?.id, state: 'done' }]);
  });

  it('a message the database refuses every time is dead-lettered after the last attempt, with the attempts in the reason', async () => {
    const ownQueue = uniqueQueueName('figdesk.test.esb-retries');
    queues.push(ownQueue, `${ownQueue}.dead`);
    const messageId = randomUUID();
    const title = `Always refused ${messageId.slice(0, 8)}`;
    const allow = await databaseRefuses(t.database.knex, title, 1_000);
    const consumer = await ownConsumer({ queue: ownQueue, maxAttempts: 3 });
    try {
      await publish(ownQueue, { title }, { messageId });

      const dead = await deadLetterWhere(`${ownQueue}.dead`, withMessageId(messageId));
      expect(dead.properties.headers?.[REASON_HEADER]).toMatch(/^failed 3 times, last: .*the database refuses/);
      expect(dead.properties.headers?.[ATTEMPTS_HEADER]).toBe(2);
      expect(consumer.calls).toEqual([messageId, messageId, messageId]);
      // The dead letter can reach its queue before the consumer's publisher confirm comes back,
      // and the consumer counts the outcome only after that confirm.
      await eventually('the dead-lettering counted', async () => consumer.seen.length >= 3);
      expect(consumer.seen).toEqual(['retried', 'retried', 'dead_lettered']);
      expect(await queueState(ownQueue)).toEqual({ messages: 0, consumers: 1 });
      expect(await incidentsTitled(title)).toEqual([]);
      expect(await inboxRowsOf(messageId)).toEqual([]);
    } finally {
      await consumer.stop();
      await allow();
    }
  });

  it('when its queue is deleted under it, the consumer comes back: it declares the queue again and files from it', async () => {
    const ownQueue = uniqueQueueName('figdesk.test.esb-deleted');
    queues.push(ownQueue, `${ownQueue}.dead`);
    const consumer = await ownConsumer({ queue: ownQueue });
    try {
      expect(await queueState(ownQueue)).toEqual({ messages: 0, consumers: 1 });

      await channel.deleteQueue(ownQueue);

      // Back, consuming again: the queue exists with a consumer on it (a separate channel, as a 404 closes the one asking).
      await eventually('the queue declared again', async () => {
        const probe = await bus.createChannel();
        probe.on('error', () => undefined);
        const state = await probe.checkQueue(ownQueue).then((ok) => ok.consumerCount, () => 0);
        await probe.close().catch(() => undefined);
        return state === 1;
      });
      const messageId = randomUUID();
      const title = `After the queue came back ${messageId.slice(0, 8)}`;
      await publish(ownQueue, { title }, { messageId });
      await eventually('the incident', async () => (await incidentsTitled(title)).length === 1);
      await consumer.ready();
    } finally {
      await consumer.stop();
    }
  });
}
