import { LRUCache } from 'lru-cache';
import { legacyTimestamp } from './seed.js';
import {
  FIRST_CUSTOMER_ID,
  FIRST_ORDER_ID,
  NAME_VARIANTS,
  customerNameVariant,
  customerPhoneNumber,
  generateCustomer,
  generateOrder,
  orderCustomerIndex,
  orderNumber,
  variantName,
  type LegacyCustomer,
  type LegacyOrder,
} from './records.js';

/** The legacy system's paging: 1-based page number and page size. */
export interface PageRequest {
  page: number;
  size: number;
}

/** The legacy system's list envelope. */
export interface LegacyPage<T> {
  items: T[];
  totalCount: number;
}

export type CustomerPatch = Partial<Pick<LegacyCustomer, 'fullName' | 'phoneNumber' | 'mail'>>;
export type OrderPatch = Partial<Pick<LegacyOrder, 'state' | 'amount' | 'currencyCode'>>;

export interface CrmSizes {
  customers: number;
  orders: number;
}

// Marks a customer whose name an admin changed: its generated variant no longer applies.
const RENAMED = 0xffff;
if (NAME_VARIANTS >= RENAMED) throw new Error('Too many name variants for the Uint16 search index');

interface NameIndex {
  /** Per customer, its generated name variant, or RENAMED. */
  variants: Uint16Array;
  lowerNames: string[];
  renamed: Map<number, string>;
}

/**
 * A real CRM answers a name search from an index, on machines of its own. Scanning a million
 * customers costs this simulator about 2.7 ms of CPU a search, on the cores it shares with the
 * system under test in benchmarks, where concurrent searches also queued behind each other. So
 * the matches of the last searches are kept (until a name changes), up to this many customers
 * in all (16 MB), the least recently searched going first.
 */
const CACHED_MATCHES_MAX = 4_000_000;

/**
 * The digits of a phone number → the customerId whose phone has exactly those digits, or the ids
 * in customerId order when several share them. Most numbers are one customer's: a bare id then,
 * which halves the index of a million customers.
 */
type PhoneIndex = Map<string, number | number[]>;

/** What the legacy CRM compares phone numbers by, their digits: `+49 (30) 123-45.67` is `49301234567`. */
const phoneKey = (phone: string) => phone.replace(/[^0-9]/g, '');

/** Customer index → its order indexes: orders[start[c]] up to orders[start[c + 1]]. */
interface OrderIndex {
  start: Uint32Array;
  orders: Uint32Array;
}

function offsetOf(page: PageRequest): number {
  return (page.page - 1) * page.size;
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * The simulator's records: generated on demand from their index, with admin changes kept
 * beside them, so every read and search sees the changes without materialising the data set.
 */
export class CrmData {
  readonly customerCount: number;
  readonly orderCount: number;
  private readonly customerChanges = new Map<number, CustomerPatch & { modified: string }>();
  private readonly orderChanges = new Map<number, OrderPatch & { modified: string }>();
  private nameIndex: NameIndex | undefined;
  // Sized by the customers each holds (at least 1: the cache counts no entry as free).
  private readonly matchesByNeedle = new LRUCache<string, Int32Array>({ maxSize: CACHED_MATCHES_MAX, sizeCalculation: (matches) => Math.max(1, matches.length) });
  private orderIndex: OrderIndex | undefined;
  // Built at seed time, unlike the name index: intake looks a caller up by phone on every message.
  private readonly phoneIndex: PhoneIndex = new Map();

  constructor(sizes: CrmSizes, private readonly now: () => number = Date.now) {
    this.customerCount = sizes.customers;
    // An order must name an existing customer, so no customers means no orders.
    this.orderCount = sizes.customers === 0 ? 0 : sizes.orders;
    for (let index = 0; index < this.customerCount; index++) this.indexPhone(FIRST_CUSTOMER_ID + index, customerPhoneNumber(index));
  }

  getCustomer(customerId: number): LegacyCustomer | undefined {
    const index = this.customerIndex(customerId);
    return index === undefined ? undefined : this.customerAt(index);
  }

  getOrder(orderId: number): LegacyOrder | undefined {
    const index = this.orderIndexOf(orderId);
    return index === undefined ? undefined : this.orderAt(index);
  }

  /**
   * Customers by customerId; with `q`, only those whose fullName contains it, ignoring case (not
   * accents); with `phone`, only those whose phone number has the same digits.
   */
  searchCustomers(filter: { q?: string; phone?: string }, page: PageRequest): LegacyPage<LegacyCustomer> {
    const { q, phone } = filter;
    if (phone !== undefined) return this.searchByPhone(phone, q, page);
    const from = offsetOf(page);
    if (!q) return this.window(this.customerCount, page, (index) => this.customerAt(index));
    const matches = this.customersNamed(q.toLowerCase());
    return { items: Array.from(matches.subarray(from, from + page.size), (index) => this.customerAt(index)), totalCount: matches.length };
  }

  /** The indexes of the customers whose lower-cased name contains `needle`, in order. */
  private customersNamed(needle: string): Int32Array {
    const cached = this.matchesByNeedle.get(needle);
    if (cached) return cached;
    const { variants, lowerNames, renamed } = this.names();
    // Generated names come from a few thousand variants: test each variant once, then the
    // scan over every customer is a table look-up.
    const variantMatches = new Uint8Array(NAME_VARIANTS);
    for (let variant = 0; variant < NAME_VARIANTS; variant++) variantMatches[variant] = (lowerNames[variant] as string).includes(needle) ? 1 : 0;
    const hits: number[] = [];
    for (let index = 0; index < this.customerCount; index++) {
      const variant = variants[index] as number;
      if (variant === RENAMED ? (renamed.get(index) as string).includes(needle) : variantMatches[variant] === 1) hits.push(index);
    }
    const matches = Int32Array.from(hits);
    this.matchesByNeedle.set(needle, matches);
    return matches;
  }

  private searchByPhone(phone: string, q: string | undefined, page: PageRequest): LegacyPage<LegacyCustomer> {
    const ids = this.customersWithPhone(phoneKey(phone));
    const needle = q?.toLowerCase();
    const matching = needle ? ids.filter((id) => this.customerAt(id - FIRST_CUSTOMER_ID).fullName.toLowerCase().includes(needle)) : ids;
    return this.window(matching.length, page, (position) => this.customerAt((matching[position] as number) - FIRST_CUSTOMER_ID));
  }

  /** The customer's orders by orderId, or undefined when there is no such customer. */
  ordersOfCustomer(customerId: number, page: PageRequest): LegacyPage<LegacyOrder> | undefined {
    const customer = this.customerIndex(customerId);
    if (customer === undefined) return undefined;
    const { start, orders } = this.ordersByCustomer();
    const first = start[customer] as number;
    const totalCount = (start[customer + 1] as number) - first;
    return this.window(totalCount, page, (position) => this.orderAt(orders[first + position] as number));
  }

  /** Orders by orderId; `orderNo` matches exactly, `q` is a case-insensitive substring of orderNo. */
  searchOrders(filter: { orderNo?: string; q?: string }, page: PageRequest): LegacyPage<LegacyOrder> {
    const needle = filter.q ? filter.q.toLowerCase() : undefined;
    if (filter.orderNo !== undefined) {
      const digits = /^SO-(\d{7,})$/.exec(filter.orderNo)?.[1];
      const order = digits === undefined ? undefined : this.getOrder(Number(digits));
      const found = order && order.orderNo === filter.orderNo && (!needle || order.orderNo.toLowerCase().includes(needle)) ? [order] : [];
      return { items: found.slice(offsetOf(page), offsetOf(page) + page.size), totalCount: found.length };
    }
    if (!needle) return this.window(this.orderCount, page, (index) => this.orderAt(index));
    const from = offsetOf(page);
    const hits: number[] = [];
    let totalCount = 0;
    for (let index = 0; index < this.orderCount; index++) {
      // Order numbers cannot be changed, so the generated number is the current one.
      if (!orderNumber(FIRST_ORDER_ID + index).toLowerCase().includes(needle)) continue;
      if (totalCount >= from && hits.length < page.size) hits.push(index);
      totalCount++;
    }
    return { items: hits.map((index) => this.orderAt(index)), totalCount };
  }

  /** Applies an admin change and bumps `modified`; undefined when there is no such customer. */
  changeCustomer(customerId: number, patch: CustomerPatch): LegacyCustomer | undefined {
    const index = this.customerIndex(customerId);
    if (index === undefined) return undefined;
    const before = this.customerAt(index);
    const modified = this.nextModified(before.modified);
    this.customerChanges.set(index, { ...this.customerChanges.get(index), ...definedOnly(patch), modified });
    if (patch.fullName !== undefined) {
      if (this.nameIndex) this.markRenamed(this.nameIndex, index, patch.fullName);
      this.matchesByNeedle.clear();
    }
    if (patch.phoneNumber !== undefined) {
      this.unindexPhone(customerId, before.phoneNumber);
      this.indexPhone(customerId, patch.phoneNumber);
    }
    return this.customerAt(index);
  }

  /** Applies an admin change and bumps `modified`; undefined when there is no such order. */
  changeOrder(orderId: number, patch: OrderPatch): LegacyOrder | undefined {
    const index = this.orderIndexOf(orderId);
    if (index === undefined) return undefined;
    const modified = this.nextModified(this.orderAt(index).modified);
    this.orderChanges.set(index, { ...this.orderChanges.get(index), ...definedOnly(patch), modified });
    return this.orderAt(index);
  }

  private customerIndex(customerId: number): number | undefined {
    const index = customerId - FIRST_CUSTOMER_ID;
    return Number.isInteger(index) && index >= 0 && index < this.customerCount ? index : undefined;
  }

  private orderIndexOf(orderId: number): number | undefined {
    const index = orderId - FIRST_ORDER_ID;
    return Number.isInteger(index) && index >= 0 && index < this.orderCount ? index : undefined;
  }

  private customerAt(index: number): LegacyCustomer {
    const change = this.customerChanges.get(index);
    return change ? { ...generateCustomer(index), ...change } : generateCustomer(index);
  }

  private orderAt(index: number): LegacyOrder {
    const change = this.orderChanges.get(index);
    return change ? { ...generateOrder(index, this.customerCount), ...change } : generateOrder(index, this.customerCount);
  }

  private window<T>(totalCount: number, page: PageRequest, at: (position: number) => T): LegacyPage<T> {
    const items: T[] = [];
    for (let position = offsetOf(page); position < totalCount && items.length < page.size; position++) items.push(at(position));
    return { items, totalCount };
  }

  // Strictly later than before, even for two changes within one second, so a reader comparing
  // `modified` always sees the change.
  private nextModified(previous: string): string {
    return legacyTimestamp(Math.max(this.now(), Date.parse(previous) + 1000));
  }

  // Built on the first search, not at start: most tests and runs never search by name.
  private names(): NameIndex {
    if (this.nameIndex) return this.nameIndex;
    const variants = new Uint16Array(this.customerCount);
    for (let index = 0; index < this.customerCount; index++) variants[index] = customerNameVariant(index);
    const lowerNames = Array.from({ length: NAME_VARIANTS }, (_, variant) => variantName(variant).toLowerCase());
    const nameIndex = { variants, lowerNames, renamed: new Map<number, string>() };
    for (const [index, change] of this.customerChanges) if (change.fullName !== undefined) this.markRenamed(nameIndex, index, change.fullName);
    return (this.nameIndex = nameIndex);
  }

  private markRenamed(nameIndex: NameIndex, index: number, fullName: string): void {
    nameIndex.variants[index] = RENAMED;
    nameIndex.renamed.set(index, fullName.toLowerCase());
  }

  private customersWithPhone(key: string): number[] {
    const entry = this.phoneIndex.get(key);
    return entry === undefined ? [] : typeof entry === 'number' ? [entry] : entry;
  }

  // In customerId order, the order legacy pages in.
  private indexPhone(customerId: number, phone: string): void {
    const key = phoneKey(phone);
    this.phoneIndex.set(key, this.phoneIndex.has(key) ? [...this.customersWithPhone(key), customerId].sort((a, b) => a - b) : customerId);
  }

  private unindexPhone(customerId: number, phone: string): void {
    const key = phoneKey(phone);
    const rest = this.customersWithPhone(key).filter((id) => id !== customerId);
    if (rest.length === 0) this.phoneIndex.delete(key);
    else this.phoneIndex.set(key, rest.length === 1 ? (rest[0] as number) : rest);
  }

  // Customer → its order indexes in orderId order (counting sort), built on first use.
  private ordersByCustomer(): OrderIndex {
    if (this.orderIndex) return this.orderIndex;
    const owners = new Uint32Array(this.orderCount);
    const start = new Uint32Array(this.customerCount + 1);
    for (let order = 0; order < this.orderCount; order++) {
      const owner = orderCustomerIndex(order, this.customerCount);
      owners[order] = owner;
      start[owner + 1] = (start[owner + 1] as number) + 1;
    }
    for (let customer = 0; customer < this.customerCount; customer++) start[customer + 1] = (start[customer + 1] as number) + (start[customer] as number);
    const next = start.slice(0, this.customerCount);
    const orders = new Uint32Array(this.orderCount);
    for (let order = 0; order < this.orderCount; order++) {
      const owner = owners[order] as number;
      orders[next[owner] as number] = order;
      next[owner] = (next[owner] as number) + 1;
    }
    return (this.orderIndex = { start, orders });
  }
}
