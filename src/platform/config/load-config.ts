import { ConfigSchema, type Config } from './config.schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as in most twelve-factor tooling.
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = ConfigSchema.safeParse(defined);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const config = result.data;
  const incomplete = [...requiredTogether(config, ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET']), ...requiredTogether(config, ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'SMS_FROM'])];
  if (incomplete.length) throw new ConfigError(incomplete);
  if (config.NODE_ENV === 'production') {
    const missing = (['DATABASE_URL', 'KEYCLOAK_URL'] as const).filter((name) => !config[name]);
    if (missing.length) throw new ConfigError(missing.map((name) => `${name}: required when NODE_ENV=production`));
  }
  return config;
}

/** A channel's credentials come as a set: half of them is a mistake, not "channel off". */
function requiredTogether(config: Config, names: (keyof Config)[]): string[] {
  const given = names.filter((name) => config[name] !== undefined);
  if (!given.length || given.length === names.length) return [];
  return names.filter((name) => config[name] === undefined).map((name) => `${name}: required with ${given.join(' and ')}`);
}

/** Names every variable the schema knows, for checks of deployment files. */
export const knownVariables = (): string[] => Object.keys(ConfigSchema.shape);

/** For entry points: a bad environment prints every problem and exits with status 2, before anything starts. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
