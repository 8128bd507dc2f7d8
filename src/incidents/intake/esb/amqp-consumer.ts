import { connect, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../../platform/logging/index.js';
import { PoisonMessage, type EsbMessageHandler } from './esb-message.js';

export type EsbOutcome = 'filed' | 'duplicate' | 'retried' | 'dead_lettered';

export interface EsbConsumerOptions {
  url: string;
  queue: string;
  deadLetterQueue: string;
  /** Attempts at a message that keeps failing before it is dead-lettered. */
  maxAttempts: number;
  handle: EsbMessageHandler;
  onOutcome?: (outcome: EsbOutcome) => void;
  logger: Logger;
  /** Messages handled at once (AMQP prefetch). */
  prefetch?: number;
  /** First wait before a failed message is tried again; doubles per attempt, up to 30 s. */
  retryDelayMs?: number;
}

export interface EsbConsumer {
  /** Resolves while connected and consuming; for /health/ready. */
  check(): Promise<void>;
  /** Stops taking messages, lets those in hand finish, then closes. */
  stop(): Promise<void>;
}

export const ATTEMPTS_HEADER = 'x-figdesk-attempts';
export const REASON_HEADER = 'x-figdesk-reason';

/**
 * Files incidents from a RabbitMQ queue. A message is acknowledged only after the transaction
 * that files it has committed, so a crash in between redelivers it, and the inbox's message id
 * makes that redelivery a no-op. A poison message (invalid, or failing `maxAttempts` times) goes
 * to the dead-letter queue with the reason in a header, confirmed by the broker before the
 * original is acknowledged. A lost connection is re-established with backoff, and so is one
 * whose channel the broker closed or whose consumer it cancelled (the queue deleted).
 */
export async function startEsbConsumer(options: EsbConsumerOptions): Promise<EsbConsumer> {
  const { logger } = options;
  let model: ChannelModel | undefined;
  let channel: ConfirmChannel | undefined;
  let consumerTag: string | undefined;
  let stopping = false;
  let lastError: Error | undefined;
  const inFlight = new Set<Promise<void>>();
  // Cuts short the waits (a retry's delay, a reconnect's backoff) when the consumer stops.
  const stopped = new AbortController();
  const wait = (ms: number) => sleep(ms, undefined, { signal: stopped.signal }).catch(() => undefined);

  async function deadLetter(ch: ConfirmChannel, message: ConsumeMessage, reason: string): Promise<void> {
    ch.sendToQueue(options.deadLetterQueue, message.content, {
      ...message.properties,
      persistent: true,
      headers: { ...message.properties.headers, [REASON_HEADER]: reason.slice(0, 1000), 'x-figdesk-source-queue': options.queue, 'x-figdesk-failed-at': new Date().toISOString() },
    });
    await ch.waitForConfirms();
  }

  async function retryLater(ch: ConfirmChannel, message: ConsumeMessage, attempts: number): Promise<void> {
    // Stopping ends the wait early: the message is put back now, its attempt still counted.
    await wait(Math.min(30_000, (options.retryDelayMs ?? 1_000) * 2 ** (attempts - 1)));
    // Back to the end of the queue with the attempt counted; the broker confirms it before the ack.
    ch.sendToQueue(options.queue, message.content, { ...message.properties, persistent: true, headers: { ...message.properties.headers, [ATTEMPTS_HEADER]: attempts } });
    await ch.waitForConfirms();
  }

  async function onMessage(ch: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    const messageId = message.properties.messageId as string | undefined;
    let outcome: EsbOutcome;
    try {
      outcome = await options.handle(message.content, messageId);
    } catch (error) {
      await settleFailure(ch, message, error);
      return;
    }
    try {
      ch.ack(message);
    } catch (error) {
      // Filed, but the channel is gone: the broker redelivers it and the inbox makes that a no-op.
      // Not a failure of the message, so neither a retry nor a dead letter.
      logger.warn({ err: error, message_id: messageId }, 'could not acknowledge a filed service-bus message; its redelivery will change nothing');
      return;
    }
    options.onOutcome?.(outcome);
  }

  /** A message the handler failed on goes to the dead-letter queue (poison, or out of attempts) or back to the queue for later. */
  async function settleFailure(ch: ConfirmChannel, message: ConsumeMessage, error: unknown): Promise<void> {
    const messageId = message.properties.messageId as string | undefined;
    const attempts = Number(message.properties.headers?.[ATTEMPTS_HEADER] ?? 0) + 1;
    const reason = error instanceof Error ? error.message : String(error);
    try {
      if (error instanceof PoisonMessage || attempts >= options.maxAttempts) {
        const why = error instanceof PoisonMessage ? reason : `failed ${attempts} times, last: ${reason}`;
        await deadLetter(ch, message, why);
        logger.warn({ message_id: messageId, reason: why }, 'service-bus message dead-lettered');
        options.onOutcome?.('dead_lettered');
      } else {
        logger.warn({ err: error, message_id: messageId, attempts }, 'service-bus message failed; will retry');
        await retryLater(ch, message, attempts);
        options.onOutcome?.('retried');
      }
      ch.ack(message);
    } catch (handlingError) {
      // The channel went away: unacknowledged, the broker redelivers the message to the next consumer.
      logger.error({ err: handlingError, message_id: messageId }, 'could not settle a service-bus message; the broker will redeliver it');
    }
  }

  async function open(): Promise<void> {
    const connection = await connect(options.url);
    connection.on('error', (error: Error) => {
      lastError = error;
    });
    // Starting over closes the connection; its close handler (set once all is up) reconnects.
    const startOver = () => {
      if (!stopping) void connection.close().catch(() => undefined);
    };
    try {
      const ch = await connection.createConfirmChannel();
      ch.on('error', (error: Error) => {
        lastError = error;
      });
      // The broker may close the channel alone (an unacknowledged delivery past its consumer
      // timeout, say): the connection stays up but nothing consumes any more.
      ch.on('close', startOver);
      await ch.assertQueue(options.deadLetterQueue, { durable: true });
      await ch.assertQueue(options.queue, { durable: true });
      await ch.prefetch(options.prefetch ?? 16);
      const reply = await ch.consume(options.queue, (message) => {
        // The broker cancelled us (the queue was deleted): start over, which declares it again.
        if (!message) return startOver();
        const work = onMessage(ch, message).finally(() => inFlight.delete(work));
        inFlight.add(work);
      });
      connection.on('close', () => {
        model = undefined;
        channel = undefined;
        if (!stopping) {
          logger.warn({ err: lastError }, 'service-bus connection lost; reconnecting');
          void reconnect();
        }
      });
      model = connection;
      channel = ch;
      consumerTag = reply.consumerTag;
    } catch (error) {
      // Half set up (a queue declared with other arguments, say): no connection left behind per attempt.
      await connection.close().catch(() => undefined);
      throw error;
    }
    lastError = undefined;
    logger.info({ queue: options.queue, dead_letter_queue: options.deadLetterQueue }, 'service-bus consumer started');
  }

  let reconnecting = false;
  async function reconnect(): Promise<void> {
    if (reconnecting) return;
    reconnecting = true;
    try {
      for (let attempt = 1; !stopping && !model; attempt++) {
        await wait(Math.min(30_000, 500 * 2 ** attempt));
        if (stopping) return;
        try {
          await open();
        } catch (error) {
          lastError = error as Error;
          logger.warn({ err: error, attempt }, 'service-bus reconnect failed');
        }
      }
    } finally {
      reconnecting = false;
    }
  }

  try {
    await open();
  } catch (error) {
    // The broker may come later: the service starts anyway, and readiness says the bus is down.
    lastError = error as Error;
    logger.error({ err: error }, 'service-bus consumer could not connect; retrying in the background');
    void reconnect();
  }

  return {
    async check() {
      if (!model || !channel) throw new Error(`not connected to the service bus${lastError ? `: ${lastError.message}` : ''}`);
    },
    async stop() {
      stopping = true;
      stopped.abort();
      if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
      await Promise.allSettled([...inFlight]);
      await channel?.close().catch(() => undefined);
      await model?.close().catch(() => undefined);
    },
  };
}
