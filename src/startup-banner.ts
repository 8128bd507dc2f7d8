import type { RunningSystem } from './system.js';

/** What a newcomer needs after `npm start`: where everything is and how to sign in. */
export function describeSystem(system: RunningSystem): string {
  const { services, idp } = system;
  const lines = [
    '',
    'figdesk is running',
    `  API (migration proxy)    ${services.proxy.url}/api/v1   docs: ${services.proxy.url}/api/docs`,
    `  incidents service        ${services.incidents.url}`,
    `  clients service          ${services.clients.url}`,
    `  orders service           ${services.orders.url}`,
    `  legacy CRM simulator     ${services.legacyCrm.url}`,
    `  Postgres                 ${system.embeddedDatabase ? `${system.databaseUrl} (embedded PGlite)` : '(DATABASE_URL)'}`,
    idp ? `  identity provider (dev)  ${idp.issuer}` : `  Keycloak                 ${system.config.KEYCLOAK_URL}`,
  ];
  if (idp) {
    lines.push(
      '',
      'Demo users (password = username): agent1, manager1, admin1',
      'Get a token and file an incident:',
      `  TOKEN=$(curl -s -d grant_type=password -d client_id=helpdesk-cli -d username=agent1 -d password=agent1 \\`,
      `    ${idp.issuer}/protocol/openid-connect/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
      `    -d '{"title":"Printer on fire","priority":"P2"}' ${services.proxy.url}/api/v1/incidents`,
    );
  }
  lines.push('', 'Stop with Ctrl+C.', '');
  return lines.join('\n');
}
