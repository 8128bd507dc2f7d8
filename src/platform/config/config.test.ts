import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, withConfigTable } from './index.js';

describe('configuration', () => {
  it('gives every variable a safe default, so an empty environment boots', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PROXY_PORT: 8080, INCIDENTS_PORT: 8081, KEYCLOAK_REALM: 'helpdesk', HOST: '127.0.0.1', DATA_DIR: '.data' });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('names every bad variable and the reason', () => {
    let error: unknown;
    try {
      loadConfig({ PROXY_PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^PROXY_PORT: /m);
    expect(problems).toMatch(/^DATABASE_URL: /m);
    expect(problems).toMatch(/^LOG_LEVEL: /m);
  });

  it('requires a real database and Keycloak in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL: required[\s\S]*KEYCLOAK_URL: required/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it('a bad variable stops the process at boot with its name', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH, INCIDENTS_PORT: '70000' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('INCIDENTS_PORT');
  });

  it('the README configuration table is the one generated from the schema (npm run config:table)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(withConfigTable(readme)).toBe(readme);
  });
});
