import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startTestSystem, type TestSystem } from './support/system.js';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem();
});
afterAll(() => t?.stop());

describe('the whole system in one process', () => {
  it('every service reports ready, naming each dependency it checked', async () => {
    for (const [name, service] of Object.entries(t.system.services)) {
      const response = await request(service.url).get('/health/ready');
      expect({ name, status: response.status }).toEqual({ name, status: 200 });
      expect(response.body.status).toBe('ready');
      await request(service.url).get('/health/live').expect(200);
    }
    const edge = await request(t.edge).get('/health/ready');
    expect(Object.keys(edge.body.checks).sort()).toEqual(['cache_memory', 'clients', 'identity_provider', 'incidents', 'legacy_crm', 'orders', 'postgres']);
  });

  it('carries the caller’s request id through the edge into the service and its error bodies', async () => {
    const token = await t.keycloak.sign();
    const response = await request(t.edge).get('/api/v1/incidents/INC-424242').set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'trace-abc-123').expect(404);
    expect(response.headers['x-request-id']).toBe('trace-abc-123');
    expect(response.body.request_id).toBe('trace-abc-123');
  });

  it.each([
    ['sends none', undefined],
    ['sends an unsafe one', 'bad id\twith spaces'],
  ])('makes up a request id when the caller %s, and the service behind the edge uses the same one', async (_case, given) => {
    const call = request(t.edge).get('/api/v1/incidents/INC-434343').set('Authorization', `Bearer ${await t.keycloak.sign()}`);
    if (given) call.set('X-Request-Id', given);
    const response = await call.expect(404);
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body.request_id).toBe(response.headers['x-request-id']);
  });

  it('serves our clients and orders through the edge, bodies streamed both ways', async () => {
    const token = await t.keycloak.sign({ roles: ['agent'] });
    const { body: client } = await request(t.edge).post('/api/v1/clients').set('Authorization', `Bearer ${token}`).send({ name: 'Edge Client' }).expect(201);
    const { body: order } = await request(t.edge).post('/api/v1/orders').set('Authorization', `Bearer ${token}`).send({ client_id: client.id, total: '12.00' }).expect(201);
    const { body: page } = await request(t.edge).get('/api/v1/orders').query({ client_id: client.id }).set('Authorization', `Bearer ${token}`).expect(200);
    expect(page.data.map((each: { id: string }) => each.id)).toEqual([order.id]);
  });

  it('the edge refuses a missing token itself, before calling the service', async () => {
    const response = await request(t.edge).post('/api/v1/incidents').send({ title: 'x' }).expect(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('exposes Prometheus metrics labelled by route template, never by raw path', async () => {
    const token = await t.keycloak.sign();
    await request(t.edge).get('/api/v1/incidents/INC-000777').set('Authorization', `Bearer ${token}`);
    const edgeMetrics = (await request(t.edge).get('/metrics').expect(200)).text;
    expect(edgeMetrics).toMatch(/http_request_duration_seconds_count\{service="migration-proxy",method="GET",route="\/api\/v1\/incidents\/\*",status="404"\} \d+/);
    const serviceMetrics = (await request(t.system.services.incidents.url).get('/metrics').expect(200)).text;
    expect(serviceMetrics).toMatch(/http_request_duration_seconds_bucket\{le="0.005",service="incidents",method="GET",route="\/api\/v1\/incidents\/:id",status="404"\}/);
    expect(serviceMetrics).not.toContain('INC-000777');
    expect(serviceMetrics).toContain('process_cpu_seconds_total');
  });

  it('publishes one OpenAPI 3.1 document at the edge, built from the services’ schemas, and human docs', async () => {
    const document = (await request(t.edge).get('/api/v1/openapi.json').expect(200)).body;
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/v1/incidents', '/api/v1/incidents/{id}', '/api/v1/clients', '/api/v1/clients/{id}', '/api/v1/orders', '/api/v1/orders/{id}']));
    expect(document.paths['/api/v1/incidents'].post.responses).toHaveProperty('400');
    expect(document.components.schemas).toHaveProperty('CreateIncident');
    expect(document.components.schemas.CreateIncident.properties.priority.enum).toEqual(['P1', 'P2', 'P3', 'P4']);
    const docs = await request(t.edge).get('/api/docs/').expect(200);
    expect(docs.text).toContain('swagger-ui');
  });

  it('readiness tells the truth when a dependency goes away, and the edge answers 502 problem+json', async () => {
    await t.system.services.incidents.stop();
    const edge = await request(t.edge).get('/health/ready').expect(503);
    expect(edge.body.checks.incidents.status).toBe('fail');
    const response = await request(t.edge).get('/api/v1/incidents/INC-000001').set('Authorization', `Bearer ${await t.keycloak.sign()}`).expect(502);
    expect(response.body).toMatchObject({ status: 502, title: 'Bad gateway' });
  });
});
