import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { configuredRedisUrl } from './redis.js';
import { startTestSystem, type TestSystem } from './system.js';

/**
 * The whole system with a small legacy CRM, its cache in Redis under a prefix of its own (test
 * files run side by side on one Redis), and a short legacy timeout so fault tests stay quick.
 */
export async function startStranglerSystem(overrides: Record<string, string> = {}): Promise<TestSystem> {
  // Real Redis when REDIS_URL is set (CI); the in-process cache otherwise.
  const redisUrl = configuredRedisUrl();
  return startTestSystem({
    LEGACY_CRM_CUSTOMERS: '400',
    LEGACY_CRM_ORDERS: '1200',
    LEGACY_TIMEOUT_MS: '300',
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `figdesk-test-${process.pid}-${randomBytes(4).toString('hex')}` } : {}),
    ...overrides,
  });
}

/** Calls through the edge, and the simulator's controls. */
export function strangler(t: TestSystem) {
  const legacyUrl = t.system.services.legacyCrm.url;
  const token = (roles: string[], username = roles[0] ?? 'nobody') => t.keycloak.sign({ roles, username });
  return {
    token,
    async as(roles: string[]) {
      const auth = { Authorization: `Bearer ${await token(roles)}` };
      const edge = () => request(t.edge);
      return {
        listClients: (query: Record<string, string | number> = {}) => edge().get('/api/v1/clients').query(query).set(auth),
        getClient: (id: string) => edge().get(`/api/v1/clients/${id}`).set(auth),
        patchClient: (id: string, version: number, body: object) => edge().patch(`/api/v1/clients/${id}`).set(auth).set('If-Match', `"${version}"`).send(body),
        createClient: (body: object) => edge().post('/api/v1/clients').set(auth).send(body),
        listOrders: (query: Record<string, string | number> = {}) => edge().get('/api/v1/orders').query(query).set(auth),
        getOrder: (id: string) => edge().get(`/api/v1/orders/${id}`).set(auth),
        patchOrder: (id: string, version: number, body: object) => edge().patch(`/api/v1/orders/${id}`).set(auth).set('If-Match', `"${version}"`).send(body),
        createOrder: (body: object) => edge().post('/api/v1/orders').set(auth).send(body),
        setMode: (resource: string, mode: string) => edge().put(`/api/v1/admin/routes/${resource}`).set(auth).send({ mode }),
      };
    },
    legacy: {
      customer: async (customerId: number) => (await fetch(`${legacyUrl}/crm/customers/${customerId}`)).json() as Promise<{ customerId: number; fullName: string }>,
      stats: async () => ((await (await fetch(`${legacyUrl}/crm/admin/stats`)).json()) as { requests: Record<string, number> }).requests,
      faults: (faults: object) => fetch(`${legacyUrl}/crm/admin/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) }),
      changeCustomer: (customerId: number, change: object) => fetch(`${legacyUrl}/crm/admin/customers/${customerId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(change) }),
    },
    ledger: (resource: 'client' | 'order') => t.database.knex.withSchema('migration').table('ledger').where({ resource }).orderBy('legacy_id'),
    copies: (schema: 'clients' | 'orders', legacyId: number) => t.database.knex.withSchema(schema).table(schema).where({ legacy_id: legacyId }),
  };
}
