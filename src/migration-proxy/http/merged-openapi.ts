import type { Logger } from '../../platform/logging/index.js';

interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  paths?: Record<string, unknown>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

/** The public API document: every upstream's document merged, fetched over HTTP (services share no files). */
export function mergedOpenApi(upstreams: { name: string; url: string }[], logger: Logger, cacheMs = 30_000) {
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
    if (documents.includes(undefined)) cached = undefined; // incomplete: try again next time
    return merged;
  }
}
