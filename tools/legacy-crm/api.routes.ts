import { Router, type RequestHandler } from 'express';
import type { CrmData } from './data.js';
import type { Faults } from './faults.js';
import { parseOrReject, sendLegacyError } from './legacy-error.js';
import { CustomerIdParams, CustomerSearchQuery, OrderIdParams, OrderSearchQuery, PageQuery } from './schemas.js';
import type { RequestStats, RouteKind } from './stats.js';

/** The read-only customers and orders API, in the legacy system's own shapes. */
export function apiRoutes(deps: { data: CrmData; faults: Faults; stats: RequestStats }): Router {
  const { data, faults, stats } = deps;
  // Every API call is counted first, then suffers the faults, as a caller would experience them.
  const api = (kind: RouteKind): RequestHandler[] => [stats.count(kind), faults.middleware];
  const router = Router();

  router.get('/crm/customers', ...api('searchCustomers'), (req, res) => {
    const query = parseOrReject(CustomerSearchQuery, req.query, res);
    if (query) res.json(data.searchCustomers({ q: query.q, phone: query.phone }, query));
  });

  router.get('/crm/customers/:customerId', ...api('getCustomer'), (req, res) => {
    const params = parseOrReject(CustomerIdParams, req.params, res);
    if (!params) return;
    const customer = data.getCustomer(params.customerId);
    if (customer) res.json(customer);
    else sendLegacyError(res, 404, 'CUSTOMER_NOT_FOUND', `Customer ${params.customerId} does not exist.`);
  });

  router.get('/crm/customers/:customerId/orders', ...api('customerOrders'), (req, res) => {
    const params = parseOrReject(CustomerIdParams, req.params, res);
    const page = params && parseOrReject(PageQuery, req.query, res);
    if (!params || !page) return;
    const orders = data.ordersOfCustomer(params.customerId, page);
    if (orders) res.json(orders);
    else sendLegacyError(res, 404, 'CUSTOMER_NOT_FOUND', `Customer ${params.customerId} does not exist.`);
  });

  router.get('/crm/orders', ...api('searchOrders'), (req, res) => {
    const query = parseOrReject(OrderSearchQuery, req.query, res);
    if (query) res.json(data.searchOrders({ orderNo: query.orderNo, q: query.q }, query));
  });

  router.get('/crm/orders/:orderId', ...api('getOrder'), (req, res) => {
    const params = parseOrReject(OrderIdParams, req.params, res);
    if (!params) return;
    const order = data.getOrder(params.orderId);
    if (order) res.json(order);
    else sendLegacyError(res, 404, 'ORDER_NOT_FOUND', `Order ${params.orderId} does not exist.`);
  });

  router.use('/crm', ...api('other'), (req, res) => {
    sendLegacyError(res, 404, 'NOT_FOUND', `No resource at ${req.method} ${req.originalUrl.split('?')[0]}.`);
  });

  return router;
}
