/*
 * The one file that knows the legacy CRM: its URLs, its paging, its field names and its errors,
 * mapped to the shapes our clients and orders services use. Plugging in a real CRM means
 * writing another implementation of `LegacyCrm` here; nothing else in the proxy changes.
 */
import { Agent, request } from 'undici';
import { legacyPublicId } from '../../platform/ids/legacy-public-id.js';

/** A legacy customer in our clients service's shape, under the public id the proxy hands out. */
export interface LegacyClientView {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  legacy_id: number;
  version: number;
  created_at: string;
  updated_at: string;
}

/** A legacy order in our orders service's shape. */
export interface LegacyOrderView {
  id: string;
  number: string;
  client_id: string;
  /** The legacy id of the order's customer: an order migrates its client first. */
  client_legacy_id: number;
  status: 'open' | 'paid' | 'shipped' | 'cancelled';
  total: string;
  currency: string;
  legacy_id: number;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface LegacyRange<T> {
  items: T[];
  /** How many records match in all, as legacy counts them. */
  total: number;
}

/** A window of a legacy list: `count` records from position `offset` (0-based) in legacy id order. */
export interface Window {
  offset: number;
  count: number;
}

export interface LegacyCrm {
  /**
   * Customers whose name contains `text` (legacy's own search) and whose phone has the digits
   * `phoneDigits` (legacy compares digits only), in legacy id order.
   */
  searchClients(query: { text?: string; phoneDigits?: string } & Window, signal: AbortSignal): Promise<LegacyRange<LegacyClientView>>;
  getClient(legacyId: number, signal: AbortSignal): Promise<LegacyClientView | undefined>;
  /** Orders by exact number or part of it, in legacy id order. */
  searchOrders(query: { text?: string; number?: string } & Window, signal: AbortSignal): Promise<LegacyRange<LegacyOrderView>>;
  /** The orders of one customer; undefined when legacy has no such customer. */
  ordersOfClient(clientLegacyId: number, window: Window, signal: AbortSignal): Promise<LegacyRange<LegacyOrderView> | undefined>;
  getOrder(legacyId: number, signal: AbortSignal): Promise<LegacyOrderView | undefined>;
  close(): Promise<void>;
}

/** Legacy answered, but not with what we asked for (a 5xx, a malformed body). */
export class LegacyError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'LegacyError';
  }
}

interface CrmCustomer {
  customerId: number;
  fullName: string;
  phoneNumber: string;
  mail: string;
  modified: string;
}

interface CrmOrder {
  orderId: number;
  orderNo: string;
  customerId: number;
  state: 'OPEN' | 'PAID' | 'SHIPPED' | 'CANCELLED';
  amount: string;
  currencyCode: string;
  created: string;
  modified: string;
}

interface CrmPage<T> {
  items: T[];
  totalCount: number;
}

export function clientFromLegacy(customer: CrmCustomer): LegacyClientView {
  // Legacy keeps only one timestamp for customers; it serves as both of ours.
  const modified = new Date(customer.modified).toISOString();
  return {
    id: legacyPublicId('client', customer.customerId),
    name: customer.fullName,
    phone: customer.phoneNumber || null,
    email: customer.mail || null,
    legacy_id: customer.customerId,
    // A legacy record is at version 1 until it is migrated; its copy starts at version 1 too, so
    // the ETag a caller read from legacy is the one its first edit sends.
    version: 1,
    created_at: modified,
    updated_at: modified,
  };
}

export const orderFromLegacy = (order: CrmOrder): LegacyOrderView => ({
  id: legacyPublicId('order', order.orderId),
  number: order.orderNo,
  client_id: legacyPublicId('client', order.customerId),
  client_legacy_id: order.customerId,
  status: order.state.toLowerCase() as LegacyOrderView['status'],
  total: order.amount,
  currency: order.currencyCode,
  legacy_id: order.orderId,
  version: 1,
  created_at: new Date(order.created).toISOString(),
  updated_at: new Date(order.modified).toISOString(),
});

/** The body our clients service takes to create the migrated copy. */
export const clientCopy = (client: LegacyClientView) => ({ name: client.name, phone: client.phone, email: client.email, legacy_id: client.legacy_id, created_at: client.created_at });

export const orderCopy = (order: LegacyOrderView) => ({
  client_id: order.client_id,
  number: order.number,
  status: order.status,
  total: order.total,
  currency: order.currency,
  legacy_id: order.legacy_id,
  created_at: order.created_at,
  updated_at: order.updated_at,
});

/** The fields a caller sees, for telling whether legacy changed since the cached copy was served. */
export const comparedFields = { client: ['name', 'phone', 'email'], order: ['status', 'total', 'currency', 'client_id'] } as const;

const LEGACY_MAX_PAGE = 100;

/**
 * Legacy pages are 1-based pages of a size; a window is read with the fewest pages: one page
 * whose size makes the window fall inside it when there is one, else two of the largest size.
 */
export function pagesFor(window: Window): { page: number; size: number; skip: number }[] {
  for (let size = Math.max(window.count, 1); size <= LEGACY_MAX_PAGE; size++) {
    const page = Math.floor(window.offset / size);
    if ((page + 1) * size >= window.offset + window.count) return [{ page: page + 1, size, skip: window.offset - page * size }];
  }
  const first = Math.floor(window.offset / LEGACY_MAX_PAGE);
  const last = Math.floor((window.offset + window.count - 1) / LEGACY_MAX_PAGE);
  return Array.from({ length: last - first + 1 }, (_, index) => ({
    page: first + index + 1,
    size: LEGACY_MAX_PAGE,
    skip: index === 0 ? window.offset - first * LEGACY_MAX_PAGE : 0,
  }));
}

/** The simulator's API (tools/legacy-crm), which has the shape of the customer's CRM. */
export function httpLegacyCrm(baseUrl: string): LegacyCrm {
  // Keep-alive to one host; legacy calls are many and small.
  const dispatcher = new Agent({ connections: 128, keepAliveTimeout: 30_000, pipelining: 1 });
  const base = baseUrl.replace(/\/$/, '');

  async function get<T>(path: string, query: Record<string, string | number | undefined>, signal: AbortSignal): Promise<T | undefined> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') search.set(key, String(value));
    const url = `${base}${path}${search.size ? `?${search}` : ''}`;
    const response = await request(url, { dispatcher, signal, headers: { accept: 'application/json' } });
    // Legacy refuses an id it could never have (too long, say) with 400: for a lookup that is "no such record".
    if (response.statusCode === 404 || response.statusCode === 400) {
      await response.body.dump();
      return undefined;
    }
    if (response.statusCode !== 200) {
      const text = await response.body.text().catch(() => '');
      throw new LegacyError(`legacy answered ${response.statusCode}: ${text.slice(0, 200)}`, response.statusCode);
    }
    try {
      return (await response.body.json()) as T;
    } catch (error) {
      throw new LegacyError(`legacy sent a body that is not JSON: ${(error as Error).message}`);
    }
  }

  async function range<Crm, View>(path: string, query: Record<string, string | undefined>, window: Window, map: (record: Crm) => View, signal: AbortSignal): Promise<LegacyRange<View> | undefined> {
    if (window.count === 0) return { items: [], total: 0 };
    const pages = await Promise.all(pagesFor(window).map(async (page) => ({ page, body: await get<CrmPage<Crm>>(path, { ...query, page: page.page, size: page.size }, signal) })));
    if (pages.some(({ body }) => body === undefined)) return undefined;
    const items = pages.flatMap(({ page, body }) => (body as CrmPage<Crm>).items.slice(page.skip)).slice(0, window.count);
    return { items: items.map(map), total: (pages[0]?.body as CrmPage<Crm>).totalCount };
  }

  const required = <T>(value: T | undefined, what: string): T => {
    // The search endpoints always exist: a 404 there is a broken legacy, not an empty answer.
    if (value === undefined) throw new LegacyError(`legacy answered 404 for ${what}`, 404);
    return value;
  };

  return {
    searchClients: async ({ text, phoneDigits, ...window }, signal) =>
      required(await range('/crm/customers', { q: text, phone: phoneDigits }, window, clientFromLegacy, signal), 'the customer search'),
    getClient: async (legacyId, signal) => {
      const customer = await get<CrmCustomer>(`/crm/customers/${legacyId}`, {}, signal);
      return customer && clientFromLegacy(customer);
    },
    searchOrders: async ({ text, number, ...window }, signal) =>
      required(await range('/crm/orders', { q: text, orderNo: number }, window, orderFromLegacy, signal), 'the order search'),
    ordersOfClient: (clientLegacyId, window, signal) => range(`/crm/customers/${clientLegacyId}/orders`, {}, window, orderFromLegacy, signal),
    getOrder: async (legacyId, signal) => {
      const order = await get<CrmOrder>(`/crm/orders/${legacyId}`, {}, signal);
      return order && orderFromLegacy(order);
    },
    close: () => dispatcher.close(),
  };
}
