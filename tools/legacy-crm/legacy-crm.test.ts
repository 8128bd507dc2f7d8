import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningService } from '../../src/platform/service/index.js';
import type { Config } from '../../src/platform/config/index.js';
import { createLogger } from '../../src/platform/logging/index.js';
import { testConfig } from '../../test/support/test-config.js';
import { startLegacyCrm, type CrmSettings, type LegacyCustomer, type LegacyOrder } from './index.js';

const SIZES = { customers: 500, orders: 1500 };
const config = testConfig();
const logger = createLogger(config.LOG_LEVEL);
const NO_FAULTS = { latencyMs: 0, jitterMs: 0, errorRate: 0, hang: false };
const LEGACY_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  contentType: string | null;
}

function startCrm(crm: Partial<CrmSettings> = {}, withConfig: Config = config): Promise<RunningService> {
  return startLegacyCrm({ config: withConfig, logger, crm: { ...SIZES, ...crm } });
}

async function call(crm: RunningService, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(crm.url + path, init);
  return { status: response.status, body: await response.json(), contentType: response.headers.get('content-type') };
}

function send(crm: RunningService, method: string, path: string, body: unknown): Promise<Answer> {
  return call(crm, path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function everything<T>(crm: RunningService, path: string, total: number): Promise<T[]> {
  const pages = await Promise.all(Array.from({ length: Math.ceil(total / 100) }, (_, i) => call(crm, `${path}?size=100&page=${i + 1}`)));
  return pages.flatMap((page) => page.body.items as T[]);
}

const search = (crm: RunningService, q: string, extra = '') => call(crm, `/crm/customers?q=${encodeURIComponent(q)}&size=100${extra}`);
const ids = (items: LegacyCustomer[]) => items.map((customer) => customer.customerId);
const byPhone = (crm: RunningService, phone: string, extra = '') => call(crm, `/crm/customers?phone=${encodeURIComponent(phone)}${extra}`);
const digitsOf = (phone: string) => phone.replace(/[^0-9]/g, '');

describe('legacy CRM simulator: data', () => {
  let crm: RunningService;
  let twin: RunningService;
  let customers: LegacyCustomer[];
  let orders: LegacyOrder[];

  beforeAll(async () => {
    [crm, twin] = await Promise.all([startCrm(), startCrm()]);
    customers = await everything<LegacyCustomer>(crm, '/crm/customers', SIZES.customers);
    orders = await everything<LegacyOrder>(crm, '/crm/orders', SIZES.orders);
  });
  afterAll(async () => {
    await Promise.all([crm?.stop(), twin?.stop()]);
  });

  it('two simulators of the same size hold identical records', async () => {
    expect(customers).toHaveLength(SIZES.customers);
    expect(await everything(twin, '/crm/customers', SIZES.customers)).toEqual(customers);
    expect(await everything(twin, '/crm/orders', SIZES.orders)).toEqual(orders);
    expect((await call(twin, '/crm/orders/500777')).body).toEqual((await call(crm, '/crm/orders/500777')).body);
  });

  it('records look like a legacy system: its own integer ids, decimal strings and second-precision timestamps', () => {
    expect(customers[0]).toEqual({ customerId: 100001, fullName: expect.any(String), phoneNumber: expect.stringMatching(/^\+\d{1,3} \d{1,3} \d{7}$/), mail: expect.stringMatching(/^[a-z0-9.-]+\d+@example\.com$/), modified: expect.stringMatching(LEGACY_TIMESTAMP) });
    expect(orders[0]).toEqual({ orderId: 500001, orderNo: 'SO-0500001', customerId: expect.any(Number), state: expect.any(String), amount: expect.stringMatching(/^\d+\.\d{2}$/), currencyCode: expect.any(String), created: expect.stringMatching(LEGACY_TIMESTAMP), modified: expect.stringMatching(LEGACY_TIMESTAMP) });
    const odd = orders.filter(
      (order) =>
        !['OPEN', 'PAID', 'SHIPPED', 'CANCELLED'].includes(order.state) ||
        !['EUR', 'USD'].includes(order.currencyCode) ||
        order.customerId < 100001 ||
        order.customerId > 100500 ||
        order.modified < order.created,
    );
    expect(odd).toEqual([]);
    expect(new Set(orders.map((order) => order.state)).size).toBe(4);
    expect(new Set(customers.map((customer) => customer.mail)).size).toBe(SIZES.customers);
    expect(customers.every((customer) => Date.parse(customer.modified) < Date.now())).toBe(true);
  });

  it('pages customers by customerId, 1-based, 20 by default, with the total count', async () => {
    const first = await call(crm, '/crm/customers');
    expect(first.status).toBe(200);
    expect(first.body.totalCount).toBe(500);
    expect(ids(first.body.items)).toEqual(Array.from({ length: 20 }, (_, i) => 100001 + i));
    const last = await call(crm, '/crm/customers?page=25&size=20');
    expect(ids(last.body.items).at(-1)).toBe(100500);
    expect(await call(crm, '/crm/customers?page=26')).toMatchObject({ status: 200, body: { items: [], totalCount: 500 } });
    expect(ids((await call(crm, '/crm/customers?page=3&size=7')).body.items)).toEqual(ids(customers.slice(14, 21)));
  });

  it('searches full names by case-insensitive substring and, like the legacy system, does not fold accents', async () => {
    for (const q of ['núñ', 'NÚÑEZ', 'mCdOnAlD', "o'brien", 'Ana-María', 'zoë', 'ß']) {
      const expected = customers.filter((customer) => customer.fullName.toLowerCase().includes(q.toLowerCase()));
      expect(expected.length).toBeGreaterThan(0);
      const answer = await search(crm, q);
      expect(answer.body.totalCount).toBe(expected.length);
      expect(answer.body.items).toEqual(expected);
    }
    expect((await search(crm, 'nunez')).body).toEqual({ items: [], totalCount: 0 });
    expect((await search(crm, 'jose')).body).toEqual({ items: [], totalCount: 0 });
  });

  it('finds a name typed in capitals by its lower-case spelling, and pages the matches', async () => {
    const shouted = customers.find((customer) => customer.fullName === customer.fullName.toUpperCase() && !customer.fullName.includes('SS'));
    expect(shouted).toBeDefined();
    expect(ids((await search(crm, shouted!.fullName.toLowerCase())).body.items)).toContain(shouted!.customerId);
    const all = customers.filter((customer) => customer.fullName.toLowerCase().includes('a'));
    const page = await call(crm, '/crm/customers?q=A&page=2&size=5');
    expect(page.body).toEqual({ items: all.slice(5, 10), totalCount: all.length });
  });

  it('finds customers by the digits of their phone number, however either is spelt, alone or with a name', async () => {
    const customer = customers[42] as LegacyCustomer;
    const [country, area, number] = customer.phoneNumber.split(' ') as [string, string, string];
    const expected = customers.filter((other) => digitsOf(other.phoneNumber) === digitsOf(customer.phoneNumber));
    for (const phone of [customer.phoneNumber, `${country} (${area}) ${number.slice(0, 3)}-${number.slice(3, 5)}.${number.slice(5)}`, digitsOf(customer.phoneNumber)]) {
      expect({ phone, answer: (await byPhone(crm, phone)).body }).toEqual({ phone, answer: { items: expected, totalCount: expected.length } });
    }
    // Equal digits, not a part of them.
    expect((await byPhone(crm, digitsOf(customer.phoneNumber).slice(0, -1))).body).toEqual({ items: [], totalCount: 0 });
    expect((await byPhone(crm, customer.phoneNumber, `&q=${encodeURIComponent(customer.fullName.toLowerCase())}`)).body.items).toContainEqual(customer);
    expect((await byPhone(crm, customer.phoneNumber, '&q=zzzz')).body).toEqual({ items: [], totalCount: 0 });
  });

  it("lists a customer's orders by orderId, and an empty list for a customer without orders", async () => {
    const byCustomer = new Map<number, LegacyOrder[]>();
    for (const order of orders) byCustomer.set(order.customerId, [...(byCustomer.get(order.customerId) ?? []), order]);
    const [busiest, theirs] = [...byCustomer].sort((a, b) => b[1].length - a[1].length)[0]!;
    expect(theirs.length).toBeGreaterThan(1);
    expect((await call(crm, `/crm/customers/${busiest}/orders?size=100`)).body).toEqual({ items: theirs, totalCount: theirs.length });
    expect((await call(crm, `/crm/customers/${busiest}/orders?page=2&size=1`)).body).toEqual({ items: [theirs[1]], totalCount: theirs.length });
    const idle = customers.find((customer) => !byCustomer.has(customer.customerId));
    expect(idle).toBeDefined();
    expect(await call(crm, `/crm/customers/${idle!.customerId}/orders`)).toMatchObject({ status: 200, body: { items: [], totalCount: 0 } });
  });

  it('finds orders by exact order number or by a case-insensitive part of it', async () => {
    expect((await call(crm, '/crm/orders?orderNo=SO-0500007')).body).toEqual({ items: [orders[6]], totalCount: 1 });
    expect((await call(crm, '/crm/orders?orderNo=so-0500007')).body).toEqual({ items: [], totalCount: 0 });
    const part = await call(crm, '/crm/orders?q=so-05000&size=100');
    expect(part.body.totalCount).toBe(99);
    expect(part.body.items).toEqual(orders.slice(0, 99));
    expect((await call(crm, '/crm/orders?q=SO-05000&page=2&size=50')).body.items).toHaveLength(49);
    expect((await call(crm, '/crm/orders/500042')).body).toEqual(orders[41]);
  });

  it('answers unknown records with its own 404 shape, not problem+json', async () => {
    for (const [path, errorCode] of [
      ['/crm/customers/100000', 'CUSTOMER_NOT_FOUND'],
      ['/crm/customers/100501', 'CUSTOMER_NOT_FOUND'],
      ['/crm/customers/100501/orders', 'CUSTOMER_NOT_FOUND'],
      ['/crm/orders/500000', 'ORDER_NOT_FOUND'],
      ['/crm/orders/501501', 'ORDER_NOT_FOUND'],
      ['/crm/invoices', 'NOT_FOUND'],
    ] as const) {
      const answer = await call(crm, path);
      expect({ path, status: answer.status, body: answer.body }).toEqual({ path, status: 404, body: { errorCode, errorMessage: expect.any(String) } });
      expect(answer.contentType).toMatch(/^application\/json/);
    }
  });

  it('answers bad paging and ids with 400 BAD_REQUEST in its own shape', async () => {
    for (const path of ['/crm/customers?page=0', '/crm/customers?size=abc', '/crm/customers?size=1000', '/crm/customers?size=0', '/crm/customers/abc', '/crm/orders?page=-1', '/crm/orders/1.5', '/crm/customers/100001/orders?size=101', '/crm/customers?phone=abc', '/crm/customers?phone=%2B%2B49301', '/crm/customers?phone=--']) {
      const answer = await call(crm, path);
      expect({ path, status: answer.status, body: answer.body }).toEqual({ path, status: 400, body: { errorCode: 'BAD_REQUEST', errorMessage: expect.any(String) } });
    }
  });
});

describe('legacy CRM simulator: admin changes', () => {
  let crm: RunningService;
  beforeAll(async () => {
    crm = await startCrm();
  });
  afterAll(async () => {
    await crm?.stop();
  });

  it('a changed customer shows the change in every read and search, with a later modified', async () => {
    const before = (await call(crm, '/crm/customers/100123')).body as LegacyCustomer;
    expect(ids((await search(crm, before.fullName)).body.items)).toContain(100123);
    const changed = await send(crm, 'PATCH', '/crm/admin/customers/100123', { fullName: 'Zyxwvü Testperson', mail: 'zyx@example.com' });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ ...before, fullName: 'Zyxwvü Testperson', mail: 'zyx@example.com', modified: expect.stringMatching(LEGACY_TIMESTAMP) });
    expect(changed.body.modified > before.modified).toBe(true);
    expect((await call(crm, '/crm/customers/100123')).body).toEqual(changed.body);
    expect((await search(crm, 'ZYXWVÜ')).body).toEqual({ items: [changed.body], totalCount: 1 });
    expect(ids((await search(crm, before.fullName)).body.items)).not.toContain(100123);
    expect((await call(crm, '/crm/customers?page=7&size=20')).body.items[2]).toEqual(changed.body);

    const again = await send(crm, 'PATCH', '/crm/admin/customers/100123', { phoneNumber: '+49 30 1111111' });
    expect(again.body).toMatchObject({ fullName: 'Zyxwvü Testperson', phoneNumber: '+49 30 1111111' });
    expect(again.body.modified > changed.body.modified).toBe(true);
  });

  it('a changed phone number is found by its new digits only; customers sharing a number page by customerId', async () => {
    const before = (await call(crm, '/crm/customers/100200')).body as LegacyCustomer;
    for (const [customerId, phoneNumber] of [[100300, '+7 912 345 67 89'], [100200, '+7 (912) 345-67-89'], [100250, '79123456789']] as const) {
      expect((await send(crm, 'PATCH', `/crm/admin/customers/${customerId}`, { phoneNumber })).status).toBe(200);
    }
    expect(await byPhone(crm, '7.912.345.67.89')).toMatchObject({ status: 200, body: { totalCount: 3 } });
    expect(ids((await byPhone(crm, '79123456789')).body.items)).toEqual([100200, 100250, 100300]);
    expect((await byPhone(crm, '79123456789', '&page=2&size=1')).body).toEqual({ items: [(await call(crm, '/crm/customers/100250')).body], totalCount: 3 });
    expect(ids((await byPhone(crm, before.phoneNumber)).body.items)).not.toContain(100200);

    // Other changes leave the number where it was; changing it again moves it again.
    await send(crm, 'PATCH', '/crm/admin/customers/100250', { fullName: 'Still Same Phone' });
    await send(crm, 'PATCH', '/crm/admin/customers/100200', { phoneNumber: before.phoneNumber });
    expect(ids((await byPhone(crm, '79123456789')).body.items)).toEqual([100250, 100300]);
    expect(ids((await byPhone(crm, before.phoneNumber)).body.items)).toContain(100200);
  });

  it('a changed order shows the change in every read and search', async () => {
    const before = (await call(crm, '/crm/orders/500123')).body as LegacyOrder;
    const changed = await send(crm, 'PATCH', '/crm/admin/orders/500123', { state: 'CANCELLED', amount: '10.00', currencyCode: 'USD' });
    expect(changed.body).toEqual({ ...before, state: 'CANCELLED', amount: '10.00', currencyCode: 'USD', modified: expect.any(String) });
    expect(changed.body.modified > before.modified).toBe(true);
    expect((await call(crm, '/crm/orders/500123')).body).toEqual(changed.body);
    expect((await call(crm, '/crm/orders?orderNo=SO-0500123')).body.items).toEqual([changed.body]);
    expect((await call(crm, `/crm/customers/${before.customerId}/orders?size=100`)).body.items).toContainEqual(changed.body);
  });

  it('refuses unknown records, bad fields and malformed bodies in its own shape', async () => {
    expect(await send(crm, 'PATCH', '/crm/admin/customers/999999', { fullName: 'Nobody' })).toMatchObject({ status: 404, body: { errorCode: 'CUSTOMER_NOT_FOUND' } });
    expect(await send(crm, 'PATCH', '/crm/admin/orders/999999', { state: 'PAID' })).toMatchObject({ status: 404, body: { errorCode: 'ORDER_NOT_FOUND' } });
    for (const [path, body] of [
      ['/crm/admin/customers/100001', { mail: 'not-an-address' }],
      ['/crm/admin/customers/100001', { customerId: 1 }],
      ['/crm/admin/customers/100001', {}],
      ['/crm/admin/orders/500001', { state: 'LOST' }],
      ['/crm/admin/orders/500001', { amount: 12.5 }],
    ] as const) {
      const answer = await send(crm, 'PATCH', path, body);
      expect({ path, body, status: answer.status, answer: answer.body }).toEqual({ path, body, status: 400, answer: { errorCode: 'BAD_REQUEST', errorMessage: expect.any(String) } });
    }
    const malformed = await call(crm, '/crm/admin/customers/100001', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"fullName":' });
    expect(malformed).toMatchObject({ status: 400, body: { errorCode: 'BAD_REQUEST' }, contentType: expect.stringMatching(/^application\/json/) });
  });
});

describe('legacy CRM simulator: faults and stats', () => {
  let crm: RunningService;
  beforeAll(async () => {
    crm = await startCrm();
  });
  afterEach(async () => {
    await send(crm, 'PUT', '/crm/admin/faults', NO_FAULTS);
  });
  afterAll(async () => {
    await crm?.stop();
  });

  it('reads and changes its faults at run time, refusing bad values', async () => {
    expect((await call(crm, '/crm/admin/faults')).body).toEqual(NO_FAULTS);
    expect((await send(crm, 'PUT', '/crm/admin/faults', { latencyMs: 5, errorRate: 0.25 })).body).toEqual({ ...NO_FAULTS, latencyMs: 5, errorRate: 0.25 });
    expect((await call(crm, '/crm/admin/faults')).body).toEqual({ ...NO_FAULTS, latencyMs: 5, errorRate: 0.25 });
    for (const body of [{ errorRate: 2 }, { hang: 'yes' }, { latencyMs: -1 }, { latency: 5 }]) {
      expect(await send(crm, 'PUT', '/crm/admin/faults', body)).toMatchObject({ status: 400, body: { errorCode: 'BAD_REQUEST' } });
    }
  });

  it('delays every API answer by the configured latency', async () => {
    await send(crm, 'PUT', '/crm/admin/faults', { latencyMs: 150, jitterMs: 20 });
    const started = performance.now();
    const answer = await call(crm, '/crm/customers/100001');
    expect(answer.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('with an error rate of 1 answers every API call with 500, while admin still answers', async () => {
    await send(crm, 'PUT', '/crm/admin/faults', { errorRate: 1 });
    for (const path of ['/crm/customers', '/crm/customers/100001', '/crm/orders/500001']) {
      expect(await call(crm, path)).toMatchObject({ status: 500, body: { errorCode: 'INTERNAL_ERROR', errorMessage: expect.any(String) } });
    }
    expect((await call(crm, '/crm/admin/faults')).status).toBe(200);
  });

  it('in hang mode never answers the API, while admin still answers and can end the hang', async () => {
    await send(crm, 'PUT', '/crm/admin/faults', { hang: true });
    const hung = fetch(`${crm.url}/crm/customers/100001`, { signal: AbortSignal.timeout(300) });
    const admin = await call(crm, '/crm/admin/faults');
    expect(admin).toMatchObject({ status: 200, body: { hang: true } });
    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
    await send(crm, 'PUT', '/crm/admin/faults', { hang: false });
    expect((await call(crm, '/crm/customers/100001')).status).toBe(200);
  });

  it('counts API calls per route kind, whatever they answered, and never admin calls', async () => {
    const before = (await call(crm, '/crm/admin/stats')).body;
    expect(before).toMatchObject({ customers: 500, orders: 1500 });
    await call(crm, '/crm/customers?q=ana');
    await call(crm, '/crm/customers/100001');
    await call(crm, '/crm/customers/999999');
    await call(crm, '/crm/customers/100001/orders');
    await call(crm, '/crm/orders?page=0');
    await call(crm, '/crm/orders/500001');
    await call(crm, '/crm/invoices');
    await call(crm, '/crm/admin/faults');
    await send(crm, 'PATCH', '/crm/admin/customers/100002', { fullName: 'Counted Not' });
    const after = (await call(crm, '/crm/admin/stats')).body;
    const delta = Object.fromEntries(Object.entries(after.requests as Record<string, number>).map(([kind, count]) => [kind, count - before.requests[kind]]));
    expect(delta).toEqual({ total: 7, searchCustomers: 1, getCustomer: 2, customerOrders: 1, searchOrders: 1, getOrder: 1, other: 1 });
  });
});

describe('legacy CRM simulator: shutdown', () => {
  it('stops promptly while a request hangs, cutting it instead of waiting out the shutdown timeout', async () => {
    // A long shutdown timeout: if stop() relied on it, this test would run into jest's timeout.
    const crm = await startCrm({ hang: true }, testConfig({ SHUTDOWN_TIMEOUT_MS: '60000' }));
    const outcome = fetch(`${crm.url}/crm/customers/100001`).then(
      () => 'answered',
      () => 'cut',
    );
    while ((await call(crm, '/crm/admin/stats')).body.requests.total < 1) await sleep(10);
    await crm.stop();
    expect(await outcome).toBe('cut');
  }, 5_000);
});
