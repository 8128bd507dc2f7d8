import { parseDuration } from './duration.js';
import { z } from 'zod';

// Digits only before coercion: Number(' ') is 0, which would silently mean "any free port".
const integer = (min: number, max: number, fallback: number) =>
  z.string().regex(/^\d+$/, 'Expected a whole number').default(String(fallback)).transform(Number).pipe(z.number().int().min(min).max(max));
const port = (fallback: number) => integer(0, 65535, fallback);
const url = z.url({ protocol: /^https?$/ });
const postgresUrl = z.url({ protocol: /^postgres(ql)?$/ });
// Node clamps timers above 2^31-1 ms to 1 ms, so larger values would fire at once.
const milliseconds = (fallback: number) => integer(0, 2_147_483_647, fallback);

/** A duration such as `15m`, `4h`, `7d`, parsed to milliseconds. */
const duration = (fallback: string) => z.string().default(fallback).transform((text, ctx) => {
  const value = parseDuration(text);
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration such as 30m, 4h or 7d` });
    return z.NEVER;
  }
  return value;
});

const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;

/** `true`/`false` (also 1/0, yes/no) as a boolean; anything else is an error, not false. */
const flag = (fallback: boolean) => z.enum(['true', 'false', '1', '0', 'yes', 'no']).default(fallback ? 'true' : 'false').transform((text) => ['true', '1', 'yes'].includes(text));
/** A share between 0 and 1, such as 0.05. */
const share = (fallback: number) => z.string().regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'Expected a number from 0 to 1').default(String(fallback)).transform(Number);

/** `P1=15m/4h,P2=1h/8h,…`: first-response and resolution targets per priority. */
const slaTargets = (fallback: string) => z.string().default(fallback).transform((text, ctx) => {
  const targets: Partial<Record<(typeof PRIORITIES)[number], { firstResponseMs: number; resolutionMs: number }>> = {};
  for (const part of text.split(',').map((entry) => entry.trim()).filter(Boolean)) {
    const match = /^(P[1-4])=([^/]+)\/(.+)$/.exec(part);
    const firstResponseMs = match ? parseDuration(match[2] as string) : undefined;
    const resolutionMs = match ? parseDuration(match[3] as string) : undefined;
    if (!match || firstResponseMs === undefined || resolutionMs === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not PRIORITY=FIRST_RESPONSE/RESOLUTION such as P1=15m/4h` });
      return z.NEVER;
    }
    targets[match[1] as (typeof PRIORITIES)[number]] = { firstResponseMs: firstResponseMs as number, resolutionMs: resolutionMs as number };
  }
  const missing = PRIORITIES.filter((priority) => !targets[priority]);
  if (missing.length) {
    ctx.addIssue({ code: 'custom', message: `no target for ${missing.join(', ')}` });
    return z.NEVER;
  }
  return targets as Record<(typeof PRIORITIES)[number], { firstResponseMs: number; resolutionMs: number }>;
});

/**
 * Every environment variable figdesk reads, with its type, default and meaning.
 * The README's configuration table is generated from this schema (npm run config:table).
 */
export const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development')
    .describe('Runtime mode. `production` refuses the development identity provider and requires KEYCLOAK_URL and DATABASE_URL.'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
    .describe('Minimum level of the JSON log lines written to stdout.'),
  HOST: z.string().min(1).default('127.0.0.1')
    .describe('Address every HTTP server binds to. Loopback by default; set 0.0.0.0 in containers.'),

  PROXY_PORT: port(8080).describe('Port of the migration proxy, the public edge.'),
  INCIDENTS_PORT: port(8081).describe('Port of the incidents service.'),
  CLIENTS_PORT: port(8082).describe('Port of the clients service.'),
  ORDERS_PORT: port(8083).describe('Port of the orders service.'),
  LEGACY_CRM_PORT: port(8090).describe('Port of the legacy CRM simulator (development and tests only).'),
  DEV_IDP_PORT: port(8180).describe('Port of the development identity provider, started when KEYCLOAK_URL is unset.'),

  PROXY_URL: url.optional().describe('Where services reach the edge (the incidents service looks up clients by phone there). Default: http://127.0.0.1:PROXY_PORT.'),
  INCIDENTS_URL: url.optional().describe('Where the proxy reaches the incidents service. Default: http://127.0.0.1:INCIDENTS_PORT.'),
  CLIENTS_URL: url.optional().describe('Where the proxy reaches the clients service. Default: http://127.0.0.1:CLIENTS_PORT.'),
  ORDERS_URL: url.optional().describe('Where the proxy reaches the orders service. Default: http://127.0.0.1:ORDERS_PORT.'),
  LEGACY_CRM_URL: url.optional().describe('Base URL of the legacy CRM. Default: the simulator on http://127.0.0.1:LEGACY_CRM_PORT.'),

  DATABASE_URL: postgresUrl.optional()
    .describe('PostgreSQL connection string. Unset: an embedded PGlite database under DATA_DIR, served on EMBEDDED_PG_PORT.'),
  DATABASE_REPLICA_URL: postgresUrl.optional()
    .describe('Read replica for read-only queries. Unset: reads go to DATABASE_URL.'),
  DATABASE_POOL_MAX: integer(1, 200, 10)
    .describe('Connections per pool (each service has one pool per database).'),
  DATA_DIR: z.string().min(1).default('.data')
    .describe('Folder for embedded data (PGlite). Survives restarts.'),
  EMBEDDED_PG_PORT: port(54320).describe('Port on which the embedded PGlite speaks the Postgres wire protocol (loopback only).'),

  KEYCLOAK_URL: url.optional()
    .describe('Keycloak base URL used to fetch the realm JWKS. Unset: the development identity provider is started on DEV_IDP_PORT.'),
  KEYCLOAK_REALM: z.string().min(1).default('helpdesk').describe('Keycloak realm.'),
  KEYCLOAK_ISSUER: url.optional()
    .describe('Expected `iss` of tokens when Keycloak is reached under another name than its public one. Default: KEYCLOAK_URL/realms/KEYCLOAK_REALM.'),
  KEYCLOAK_AUDIENCE: z.string().min(1).default('helpdesk-api')
    .describe('Audience (`aud`) every access token must carry; the realm export adds it with an audience mapper on each client.'),
  JWKS_COOLDOWN_MS: milliseconds(5_000)
    .describe('Minimum time between two JWKS fetches; a token with an unknown `kid` triggers a refetch after it.'),
  REALM_FILE: z.string().min(1).default('keycloak/helpdesk-realm.json')
    .describe('Realm export read by the development identity provider (the same file Keycloak imports).'),

  INCIDENT_CATEGORIES: z.string().default('hardware,software,network,access,billing,other')
    .transform((text) => [...new Set(text.split(',').map((entry) => entry.trim()).filter(Boolean))])
    .refine((list) => list.length > 0 && list.every((entry) => /^[a-z0-9][a-z0-9_-]{0,49}$/.test(entry)), 'a comma-separated list of lowercase names')
    .describe('Incident categories agents and intake may use (comma-separated).'),
  SLA_TARGETS: slaTargets('P1=15m/4h,P2=1h/8h,P3=4h/2d,P4=1d/5d')
    .describe('First-response/resolution targets per priority, around the clock; the clock pauses while an incident waits for the customer.'),
  AUTO_CLOSE_AFTER: duration('7d').describe('Resolved incidents close by themselves after this long.'),
  PROBLEM_CLUSTER_SIZE: integer(2, 1000, 3)
    .describe('This many open incidents of one category and one client or order within PROBLEM_CLUSTER_WINDOW make a problem.'),
  PROBLEM_CLUSTER_WINDOW: duration('60m').describe('Time window of the clustering rule.'),
  INCIDENT_JOBS_INTERVAL_MS: milliseconds(60_000)
    .describe('How often the incidents service marks SLA breaches and closes resolved incidents; 0 turns the jobs off.'),

  LEGACY_CRM_CUSTOMERS: integer(0, 5_000_000, 20_000)
    .describe('Simulator: customers it holds, generated from a fixed seed (1000000 for benchmarks).'),
  LEGACY_CRM_ORDERS: integer(0, 20_000_000, 60_000)
    .describe('Simulator: orders it holds, spread over its customers.'),
  LEGACY_CRM_LATENCY_MS: milliseconds(0).describe('Simulator: fixed delay before every answer of its API.'),
  LEGACY_CRM_JITTER_MS: milliseconds(0).describe('Simulator: random extra delay, up to this much, on top of LEGACY_CRM_LATENCY_MS.'),
  LEGACY_CRM_ERROR_RATE: share(0).describe('Simulator: share of API requests answered with a 500 (0 to 1).'),
  LEGACY_CRM_HANG: flag(false).describe('Simulator: accept requests and never answer them (a dead legacy system). Also settable at run time through its admin endpoint.'),

  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional()
    .describe('Redis for the proxy\'s cache of legacy records. Unset: an in-process cache per proxy. When Redis goes away the proxy answers without the cache and says so in /health/ready.'),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,100}$/, 'letters, digits and : _ . -').default('figdesk')
    .describe('Prefix of every Redis key figdesk writes, so several installations (or test runs) can share one Redis.'),
  LEGACY_TIMEOUT_MS: integer(1, 60_000, 800)
    .describe('How long the proxy waits for the legacy CRM before answering from its cache with meta.sources.legacy = "timeout".'),
  LEGACY_BREAKER_ERROR_PERCENT: integer(1, 100, 50)
    .describe('The circuit breaker opens when this share (percent) of recent legacy calls failed or timed out…'),
  LEGACY_BREAKER_MIN_CALLS: integer(1, 10_000, 5)
    .describe('…and at least this many calls were made in the breaker\'s 10-second window. This many failures in a row open it as well.'),
  LEGACY_BREAKER_RESET_MS: milliseconds(10_000)
    .describe('How long an open breaker keeps legacy uncalled before it lets one trial call through (half-open).'),
  LEGACY_CACHE_TTL: duration('15m').describe('How long a legacy record stays in the cache; each entry gets up to 20% less, so entries written together do not expire together.'),
  MIGRATION_CLIENT_ID: z.string().min(1).default('helpdesk-migration')
    .describe('Keycloak client whose service account the proxy uses to write migrated records into the clients and orders services.'),
  MIGRATION_CLIENT_SECRET: z.string().min(1).default('migration-dev-secret')
    .describe('Secret of MIGRATION_CLIENT_ID. The default matches the development realm export; set the real one in production.'),
  MIGRATION_CLAIM_LEASE_MS: integer(100, 600_000, 15_000)
    .describe('A proxy copying a legacy record holds its ledger claim this long at most; after that (it crashed or was killed) another proxy or back-fill takes the copy over.'),
  BACKFILL_RATE: integer(1, 100_000, 50).describe('Back-fill: records migrated per second at most, so the legacy CRM is not overwhelmed.'),
  ROUTE_MODE_REFRESH_MS: integer(100, 600_000, 1_000)
    .describe('How often each proxy re-reads the route modes an admin set (shared through Postgres).'),

  PUBLIC_URL: url.optional()
    .describe('Base URL of the public edge as Telegram, the SMS gateway and browsers reach it (https://helpdesk.example.com). Telegram\'s webhook is set to PUBLIC_URL/intake/telegram; SMS signatures are checked against PUBLIC_URL/intake/sms. Default: the edge\'s own address (PROXY_URL, else http://127.0.0.1:PROXY_PORT).'),
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'a bot token from @BotFather, such as 123456:ABC-DEF…').optional()
    .describe('Telegram bot token. Unset: the Telegram channel is off (said at start and in /health/ready).'),
  TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, '16 to 256 characters of A-Z, a-z, 0-9, _ and -').optional()
    .describe('Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token with every update; required with TELEGRAM_BOT_TOKEN.'),
  TELEGRAM_API_URL: url.default('https://api.telegram.org').describe('Telegram Bot API root (a local Bot API server or a test stand-in may replace it).'),
  TELEGRAM_RATE_PER_SECOND: integer(0, 10_000, 30).describe('Messages per second the notification worker sends through Telegram at most, overall (Telegram allows about 30); 0 turns the limit off.'),
  TELEGRAM_CHAT_INTERVAL_MS: milliseconds(1_000).describe('Least time between two messages to one Telegram chat (Telegram allows about one a second); 0 turns the limit off.'),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'an account SID such as AC0123…').optional()
    .describe('SMS gateway account (Twilio\'s Messages API). Unset: the SMS channel is off.'),
  TWILIO_AUTH_TOKEN: z.string().min(8).optional().describe('SMS gateway auth token: signs inbound webhooks and authenticates outbound messages; required with TWILIO_ACCOUNT_SID.'),
  SMS_FROM: z.string().regex(/^\+[1-9]\d{4,14}$/, 'a phone number in E.164 form, such as +15005550006').optional()
    .describe('Our phone number, the sender of outbound SMS; required with TWILIO_ACCOUNT_SID.'),
  SMS_API_URL: url.default('https://api.twilio.com').describe('SMS gateway REST root (Twilio\'s Messages API shape).'),
  SMS_RATE_PER_SECOND: integer(0, 10_000, 1).describe('SMS sent per second at most (a Twilio long code allows one); 0 turns the limit off.'),
  AMQP_URL: z.url({ protocol: /^amqps?$/ }).optional()
    .describe('RabbitMQ of the enterprise service bus. Unset: the AMQP consumer is off; POST /intake/esb still works.'),
  ESB_QUEUE: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/).default('figdesk.incidents').describe('Queue the ESB consumer files incidents from.'),
  ESB_DEAD_LETTER_QUEUE: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/).default('figdesk.incidents.dead')
    .describe('Where messages that are invalid or keep failing go, with the reason in the x-figdesk-reason header.'),
  ESB_RETRY_DELAY_MS: milliseconds(1_000).describe('First wait before a failed ESB message is tried again; it doubles per attempt, up to 30 s.'),
  ESB_MAX_ATTEMPTS: integer(1, 100, 5).describe('Attempts at a failing ESB message before it goes to the dead-letter queue.'),
  INTAKE_CLIENT_ID: z.string().min(1).default('helpdesk-intake')
    .describe('Keycloak client whose service account the incidents service uses to look up clients by phone through the edge.'),
  INTAKE_CLIENT_SECRET: z.string().min(1).default('intake-dev-secret')
    .describe('Secret of INTAKE_CLIENT_ID. The default matches the development realm export; set the real one in production.'),
  REOPEN_WINDOW: duration('3d').describe('A reporter\'s message this soon after their incident was resolved reopens it; a later one starts a new incident.'),
  INTAKE_MAX_ATTEMPTS: integer(1, 100, 8).describe('Attempts at handling an inbox message before it is marked failed for an admin to look at.'),
  REPORTER_LANGUAGE: z.enum(['en', 'ru']).default('en').describe('Language of messages to reporters whose language is unknown (SMS, ESB).'),
  NOTIFICATIONS_WORKER: flag(true).describe('Run the notification worker inside the incidents service. Off: run `npm run notifications` as its own process.'),
  NOTIFY_MAX_ATTEMPTS: integer(1, 100, 8).describe('Attempts at a message to a reporter before it is dead (an agent sees an internal note; an admin can retry it).'),
  NOTIFY_RETRY_BASE_MS: milliseconds(2_000).describe('First retry delay of a failed message to a reporter; it doubles with every attempt, up to an hour.'),
  NOTIFY_CLAIM_LEASE_MS: integer(1_000, 3_600_000, 300_000).describe('A worker holds the batch of messages it took this long at most; after that (it died) another worker sends them.'),
  CHANNEL_POLL_MS: integer(10, 600_000, 1_000).describe('How often the inbox processor and the notification worker look for work written by other processes.'),

  SHUTDOWN_DRAIN_DELAY_MS: milliseconds(0)
    .describe('On shutdown, how long readiness answers 503 before the listener closes, so a load balancer stops sending first (a few seconds behind one).'),
  SHUTDOWN_TIMEOUT_MS: milliseconds(10_000)
    .describe('How long a stopping server waits for in-flight requests before closing their connections.'),
});

export type Config = z.infer<typeof ConfigSchema>;
