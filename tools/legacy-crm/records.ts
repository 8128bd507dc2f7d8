import { FIRST_NAMES, LAST_NAMES, PHONE_AREAS, Stream, between, legacyTimestamp, mailboxPart, pick, randomFor } from './seed.js';

/** A customer as the legacy CRM sends it: its own names and integer ids, nothing like ours. */
export interface LegacyCustomer {
  customerId: number;
  fullName: string;
  phoneNumber: string;
  mail: string;
  modified: string;
}

export const ORDER_STATES = ['OPEN', 'PAID', 'SHIPPED', 'CANCELLED'] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** An order as the legacy CRM sends it; `amount` is a decimal string, as legacy systems do. */
export interface LegacyOrder {
  orderId: number;
  orderNo: string;
  customerId: number;
  state: OrderState;
  amount: string;
  currencyCode: string;
  created: string;
  modified: string;
}

export const FIRST_CUSTOMER_ID = 100_001;
export const FIRST_ORDER_ID = 500_001;

/** How many distinct generated names exist (first × last × normal/upper-case spelling). */
export const NAME_VARIANTS = FIRST_NAMES.length * LAST_NAMES.length * 2;

const CUSTOMERS_FROM = Date.UTC(2012, 0, 1);
const CUSTOMERS_TO = Date.UTC(2023, 11, 31);
const ORDERS_FROM = Date.UTC(2015, 0, 1);
const ORDERS_TO = Date.UTC(2023, 5, 30);
const DAY_MS = 86_400_000;

// The name comes from a customer's first draws so the search index can repeat only those.
function drawName(random: () => number): number {
  const first = Math.floor(random() * FIRST_NAMES.length);
  const last = Math.floor(random() * LAST_NAMES.length);
  // Some records were typed in with caps lock on, as in any old CRM.
  const shouting = random() < 1 / 16 ? 1 : 0;
  return (first * LAST_NAMES.length + last) * 2 + shouting;
}

function nameParts(variant: number): { first: string; last: string; shouting: boolean } {
  const pair = Math.floor(variant / 2);
  return {
    first: FIRST_NAMES[Math.floor(pair / LAST_NAMES.length)] as string,
    last: LAST_NAMES[pair % LAST_NAMES.length] as string,
    shouting: variant % 2 === 1,
  };
}

/** The full name of one name variant (0 ≤ variant < NAME_VARIANTS). */
export function variantName(variant: number): string {
  const { first, last, shouting } = nameParts(variant);
  const name = `${first} ${last}`;
  return shouting ? name.toUpperCase() : name;
}

/** Which name variant the customer at `index` was generated with, without building the record. */
export function customerNameVariant(index: number): number {
  return drawName(randomFor(Stream.customer, index));
}

// The phone comes right after the name, so the phone index can repeat only those draws.
function drawPhone(random: () => number): string {
  const place = pick(random, PHONE_AREAS);
  const area = pick(random, place.areas);
  return `${place.country} ${area} ${between(random, 1_000_000, 9_999_999)}`;
}

/** The phone number the customer at `index` was generated with, without building the record. */
export function customerPhoneNumber(index: number): string {
  const random = randomFor(Stream.customer, index);
  drawName(random);
  return drawPhone(random);
}

/** The generated customer at `index` (0-based), before any admin change. */
export function generateCustomer(index: number): LegacyCustomer {
  const random = randomFor(Stream.customer, index);
  const variant = drawName(random);
  const { first, last } = nameParts(variant);
  return {
    customerId: FIRST_CUSTOMER_ID + index,
    fullName: variantName(variant),
    phoneNumber: drawPhone(random),
    // The index keeps addresses unique, which a target system with a unique e-mail would need.
    mail: `${mailboxPart(first)}.${mailboxPart(last)}${index + 1}@example.com`,
    modified: legacyTimestamp(between(random, CUSTOMERS_FROM, CUSTOMERS_TO)),
  };
}

/** Which customer (index) the order at `index` belongs to, without building the record. */
export function orderCustomerIndex(index: number, customerCount: number): number {
  return Math.floor(randomFor(Stream.order, index)() * customerCount);
}

function drawState(random: () => number): OrderState {
  const roll = random();
  if (roll < 0.15) return 'OPEN';
  if (roll < 0.5) return 'PAID';
  if (roll < 0.9) return 'SHIPPED';
  return 'CANCELLED';
}

/** The order number a legacy clerk reads out: `SO-` and the order id padded to seven digits. */
export function orderNumber(orderId: number): string {
  return `SO-${String(orderId).padStart(7, '0')}`;
}

/** The generated order at `index` (0-based), before any admin change; needs at least one customer. */
export function generateOrder(index: number, customerCount: number): LegacyOrder {
  const random = randomFor(Stream.order, index);
  // First draw: must match orderCustomerIndex(). Uniform, so some customers have no orders at all.
  const customerIndex = Math.floor(random() * customerCount);
  const state = drawState(random);
  const cents = between(random, 500, 250_000);
  const currencyCode = random() < 0.85 ? 'EUR' : 'USD';
  const created = between(random, ORDERS_FROM, ORDERS_TO);
  const modified = state === 'OPEN' ? created : created + between(random, 60_000, 60 * DAY_MS);
  const orderId = FIRST_ORDER_ID + index;
  return {
    orderId,
    orderNo: orderNumber(orderId),
    customerId: FIRST_CUSTOMER_ID + customerIndex,
    state,
    amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    currencyCode,
    created: legacyTimestamp(created),
    modified: legacyTimestamp(modified),
  };
}
