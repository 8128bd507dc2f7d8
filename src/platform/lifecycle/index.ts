export { Lifecycle } from './lifecycle.js';
export { listen, type MessagePrototypes, type RunningServer } from './http-server.js';
export { startWorkLoop, type WorkLoop } from './work-loop.js';
