import { z } from 'zod';
import { ORDER_STATES } from './records.js';

/** The legacy paging parameters: 1-based page, at most 100 per page. */
export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000_000).default(1),
  size: z.coerce.number().int().min(1).max(100).default(20),
});

const text = z.string().max(200).optional();

// Digits with the usual spelling around them; the legacy CRM compares the digits only.
const phone = z.string().max(40).regex(/^\+?[0-9 ().-]*[0-9][0-9 ().-]*$/, 'must be a phone number: digits, spaces, dashes, brackets, dots, a leading +').optional();

export const CustomerSearchQuery = PageQuery.extend({ q: text, phone });
export const OrderSearchQuery = PageQuery.extend({ orderNo: text, q: text });

export const CustomerIdParams = z.object({ customerId: z.string().regex(/^\d{1,12}$/, 'must be an integer').transform(Number) });
export const OrderIdParams = z.object({ orderId: z.string().regex(/^\d{1,12}$/, 'must be an integer').transform(Number) });

/** What an operator may change on a customer; one field at least. */
export const CustomerChange = z
  .strictObject({
    fullName: z.string().trim().min(1).max(200).optional(),
    phoneNumber: z.string().regex(/^\+?[0-9][0-9 ()-]{3,29}$/, 'must be a phone number').optional(),
    mail: z.email().max(254).optional(),
  })
  .refine((change) => Object.keys(change).length > 0, 'at least one of fullName, phoneNumber, mail is required');

/** What an operator may change on an order; one field at least. */
export const OrderChange = z
  .strictObject({
    state: z.enum(ORDER_STATES).optional(),
    amount: z.string().regex(/^\d{1,10}\.\d{2}$/, 'must be a decimal string with two decimals, e.g. "123.40"').optional(),
    currencyCode: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"').optional(),
  })
  .refine((change) => Object.keys(change).length > 0, 'at least one of state, amount, currencyCode is required');
