import { openApiDocument, type RouteSpec } from '../../platform/http/index.js';
import type { Logger } from '../../platform/logging/index.js';

interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  paths?: Record<string, unknown>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

/** The public API document: every upstream's document merged, fetched over HTTP (services share no files). */
export function mergedOpenApi(upstreams: { name: string; url: string }[], logger: Logger, ownRoutes: RouteSpec[] = [], cacheMs = 30_000) {
  let cached: { at: number; document: Promise<OpenApiDocument> } | undefined;
  // Kept for a while: the documents change only with a deployment, and the route needs no token.
  return (): Promise<OpenApiDocument> => {
    if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), document: build() };
    return cached.document;
  };

  async function build(): Promise<OpenApiDocument> {
    const merged: Required<OpenApiDocument> = {
      openapi: '3.1.0',
      info: { title: 'figdesk API', version: '1.0.0', description: 'Public API of figdesk, served by the migration proxy on /api/v1.' },
      paths: {},
      components: { schemas: {}, securitySchemes: {} },
    };
    const documents = await Promise.all(
      upstreams.map(async (upstream) => {
        try {
          const response = await fetch(`${upstream.url}/api/v1/openapi.json`, { signal: AbortSignal.timeout(2_000) });
          if (!response.ok) throw new Error(`answered ${response.status}`);
          return (await response.json()) as OpenApiDocument;
        } catch (error) {
          logger.warn({ err: error, upstream: upstream.name }, 'OpenAPI document of an upstream is unavailable');
          return undefined;
        }
      }),
    );
    for (const document of documents) {
      if (!document) continue;
      Object.assign(merged.paths, document.paths);
      Object.assign(merged.components.schemas!, document.components?.schemas);
      Object.assign(merged.components.securitySchemes!, document.components?.securitySchemes);
    }
    // The edge's own operations (merged lists, admin) replace the upstream's on the same path and method.
    const own = openApiDocument({ title: 'figdesk edge', version: '1.0.0' }, ownRoutes) as unknown as OpenApiDocument;
    for (const [path, operations] of Object.entries(own.paths ?? {})) merged.paths[path] = { ...(merged.paths[path] as object | undefined), ...(operations as object) };
    Object.assign(merged.components.schemas!, own.components?.schemas);
    Object.assign(merged.components.securitySchemes!, own.components?.securitySchemes);
    if (documents.includes(undefined)) cached = undefined; // incomplete: try again next time
    return merged;
  }
}
