export { startDevIdp, type DevIdp, type DevIdpOptions } from './dev-idp.js';
export { loadRealm, type Realm } from './realm.js';
