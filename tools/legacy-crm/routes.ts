import { Router } from 'express';
import type { Logger } from '../../src/platform/logging/index.js';
import { adminRoutes } from './admin.routes.js';
import { apiRoutes } from './api.routes.js';
import type { CrmData } from './data.js';
import type { Faults } from './faults.js';
import { legacyErrorHandler } from './legacy-error.js';
import type { RequestStats } from './stats.js';

/** Everything the simulator answers under /crm: the admin controls first, then the faulty API. */
export function legacyCrmRouter(deps: { data: CrmData; faults: Faults; stats: RequestStats; logger: Logger }): Router {
  const router = Router();
  router.use('/crm/admin', adminRoutes(deps));
  router.use(apiRoutes(deps));
  router.use('/crm', legacyErrorHandler(deps.logger));
  return router;
}
