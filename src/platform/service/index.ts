export { serve, type RunningService, type ServeOptions } from './serve.js';
export { startDatabaseService, type DatabaseServiceSpec } from './start-database-service.js';
export type { ServiceContext } from './context.js';
