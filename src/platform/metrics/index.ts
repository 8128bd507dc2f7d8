export { createMetrics, type Metrics } from './metrics.js';
export { queueGauges, type Backlog } from './queue-gauges.js';
