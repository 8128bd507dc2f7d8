import express, { Router } from 'express';
import type { Logger } from '../../src/platform/logging/index.js';
import type { CrmData } from './data.js';
import { FaultSettingsPatch, type Faults } from './faults.js';
import { parseOrReject, sendLegacyError } from './legacy-error.js';
import { CustomerChange, CustomerIdParams, OrderChange, OrderIdParams } from './schemas.js';
import type { RequestStats } from './stats.js';

/**
 * The operator's controls, mounted at /crm/admin. They never suffer the faults: a test must be
 * able to switch a hang off while the API hangs.
 */
export function adminRoutes(deps: { data: CrmData; faults: Faults; stats: RequestStats; logger: Logger }): Router {
  const { data, faults, stats, logger } = deps;
  const router = Router();
  router.use(express.json({ limit: '16kb' }));

  router.get('/faults', (_req, res) => {
    res.json(faults.current());
  });

  router.put('/faults', (req, res) => {
    const patch = parseOrReject(FaultSettingsPatch, req.body, res);
    if (!patch) return;
    const settings = faults.update(patch);
    logger.info({ faults: settings }, 'legacy CRM faults changed');
    res.json(settings);
  });

  router.patch('/customers/:customerId', (req, res) => {
    const params = parseOrReject(CustomerIdParams, req.params, res);
    const change = params && parseOrReject(CustomerChange, req.body, res);
    if (!params || !change) return;
    const customer = data.changeCustomer(params.customerId, change);
    if (customer) res.json(customer);
    else sendLegacyError(res, 404, 'CUSTOMER_NOT_FOUND', `Customer ${params.customerId} does not exist.`);
  });

  router.patch('/orders/:orderId', (req, res) => {
    const params = parseOrReject(OrderIdParams, req.params, res);
    const change = params && parseOrReject(OrderChange, req.body, res);
    if (!params || !change) return;
    const order = data.changeOrder(params.orderId, change);
    if (order) res.json(order);
    else sendLegacyError(res, 404, 'ORDER_NOT_FOUND', `Order ${params.orderId} does not exist.`);
  });

  router.get('/stats', (_req, res) => {
    res.json({ customers: data.customerCount, orders: data.orderCount, requests: stats.snapshot() });
  });

  // Unknown admin paths stop here, so they are neither counted nor faulted as API calls.
  router.use((req, res) => {
    sendLegacyError(res, 404, 'NOT_FOUND', `No resource at ${req.method} ${req.originalUrl.split('?')[0]}.`);
  });

  return router;
}
