import { expect } from '@jest/globals';
import request from 'supertest';
import type { KeycloakStandIn } from './keycloak-tokens.js';

export type Caller = 'anonymous' | 'agent' | 'manager' | 'admin' | 'intake';
export const CALLERS: Caller[] = ['anonymous', 'agent', 'manager', 'admin', 'intake'];

export interface MatrixRow {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path, as the document lists it. */
  path: string;
  /** Roles admitted besides admin, who may do everything. */
  roles: Caller[];
  body?: object;
}

/** Every row × every caller, named for jest's it.each. */
export const matrixCases = <Row extends MatrixRow>(rows: Row[]) =>
  rows.flatMap((row) => CALLERS.map((caller) => [`${row.method.toUpperCase()} ${row.path}`, caller, row] as const));

/** `method path` of every operation an OpenAPI document lists under paths matching `only`. */
export function documentedOperations(document: { paths: Record<string, Record<string, unknown>> }, only: RegExp = /./): string[] {
  return Object.entries(document.paths)
    .filter(([path]) => only.test(path))
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
    .sort();
}

export const operationsOf = (rows: MatrixRow[]) => rows.map((row) => `${row.method} ${row.path}`).sort();

/** Anonymous is 401; a caller the row admits (or admin) succeeds; anyone else is 403. */
export function expectAuthorisation(caller: Caller, row: MatrixRow, status: number): void {
  if (caller === 'anonymous') expect(status).toBe(401);
  else if (caller === 'admin' || row.roles.includes(caller)) expect(status).toBeLessThan(300);
  else expect(status).toBe(403);
}

export type MatrixTokens = Record<Exclude<Caller, 'anonymous'>, string>;

/** A token for each caller but anonymous, holding that one role. */
export async function matrixTokens(keycloak: KeycloakStandIn): Promise<MatrixTokens> {
  const tokens = {} as MatrixTokens;
  for (const role of ['agent', 'manager', 'admin', 'intake'] as const) tokens[role] = await keycloak.sign({ roles: [role], username: `${role}-matrix` });
  return tokens;
}

/** Makes a row's call to `url` as `caller` (If-Match "1", the row's body) and checks its status with expectAuthorisation. */
export async function expectCallAuthorised(base: string, url: string, caller: Caller, row: MatrixRow, tokens: MatrixTokens): Promise<void> {
  const call = request(base)[row.method](url).set('If-Match', '"1"');
  if (caller !== 'anonymous') call.set('Authorization', `Bearer ${tokens[caller]}`);
  const response = row.body ? await call.send(row.body) : await call;
  expectAuthorisation(caller, row, response.status);
}
