import { randomBytes } from 'node:crypto';
import { connect, type Channel, type ChannelModel } from 'amqplib';

// What `.ci/run` starts and Debian's rabbitmq-server gives out of the box; guest may log in only from loopback.
const LOCAL_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** AMQP_URL (CI always sets it); with REQUIRE_SERVICES=1 its absence is an error, not a skip. */
export function configuredAmqpUrl(): string | undefined {
  const url = process.env.AMQP_URL;
  if (!url && process.env.REQUIRE_SERVICES === '1') throw new Error(`REQUIRE_SERVICES=1 but AMQP_URL is not set: start RabbitMQ and set AMQP_URL (e.g. ${LOCAL_AMQP_URL})`);
  return url;
}

/** RabbitMQ for a test file: AMQP_URL when set, else a local broker that takes a guest login within ~1 s, else undefined so the caller skips saying why. */
export async function amqpForTests(): Promise<{ url: string } | undefined> {
  const url = configuredAmqpUrl();
  if (url) return { url };
  return (await acceptsLogin(LOCAL_AMQP_URL, 1000)) ? { url: LOCAL_AMQP_URL } : undefined;
}

/** A queue name no other test file or earlier run uses, so files can run in parallel against one broker. */
export function uniqueQueueName(prefix: string): string {
  return `${prefix}.${randomBytes(6).toString('hex')}`;
}

/** Deletes the queues a test declared; best-effort, so a broker that went away cannot fail an afterAll. */
export async function deleteQueues(url: string, names: string[]): Promise<void> {
  let connection: ChannelModel | undefined;
  try {
    connection = await connect(url, { timeout: 1000 });
    connection.on('error', () => undefined); // without a listener an 'error' event would crash the test process
    let channel: Channel | undefined;
    for (const name of names) {
      try {
        channel ??= await openChannel(connection);
        await channel.deleteQueue(name);
      } catch {
        channel = undefined; // the broker closes a channel on any refused delete (e.g. another connection's exclusive queue)
      }
    }
  } catch {
    // No broker, no queues to leave behind.
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

// A real AMQP login, not a TCP connect: a port that answers is no use if guest is refused.
async function acceptsLogin(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const connection = await connect(url, { timeout: timeoutMs });
    connection.on('error', () => undefined);
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

async function openChannel(connection: ChannelModel): Promise<Channel> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined); // refusals also reject the pending call, where they are handled
  return channel;
}
