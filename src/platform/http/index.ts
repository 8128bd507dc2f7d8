export { createApp, requestIdFrom, type App, type AppOptions } from './create-app.js';
export { createApi, type Api, type RouteSpec, type RouteInput } from './api.js';
export { openApiDocument, ProblemDetailsSchema } from './openapi.js';
export { PageQuery, toPage, pageSchema, encodeCursor, decodeCursor, type Page } from './pagination.js';
export { readiness, SwitchedOff, type ReadinessCheck, type OptionalCheck, type Checks, type ReadinessSource, type ReadinessReport } from './health.js';
export { problemHandler, sendProblem, writeProblem, PROBLEM_JSON } from './error-handler.js';
export * from './problem.js';
export { safeText, csv, instant, durationParam, booleanParam, externalId, legacyId, legacyIdParam, phoneDigits, phoneSearchParam } from './schemas.js';
export { IfMatch, etagOf, versionOf, requiredVersion, unchangedBecause } from './if-match.js';
