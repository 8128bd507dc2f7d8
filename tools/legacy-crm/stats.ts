import type { RequestHandler } from 'express';

export const ROUTE_KINDS = ['searchCustomers', 'getCustomer', 'customerOrders', 'searchOrders', 'getOrder', 'other'] as const;
/** The API routes the simulator tells apart when counting calls; `other` is an unknown /crm path. */
export type RouteKind = (typeof ROUTE_KINDS)[number];

export type RequestCounts = Record<RouteKind | 'total', number>;

/**
 * Counts API calls as they arrive, before any fault, so a test can prove the legacy system was
 * (or was never) called whatever it answered.
 */
export class RequestStats {
  private readonly counts: RequestCounts = { total: 0, searchCustomers: 0, getCustomer: 0, customerOrders: 0, searchOrders: 0, getOrder: 0, other: 0 };

  count(kind: RouteKind): RequestHandler {
    return (_req, _res, next) => {
      this.counts[kind]++;
      this.counts.total++;
      next();
    };
  }

  snapshot(): RequestCounts {
    return { ...this.counts };
  }
}
