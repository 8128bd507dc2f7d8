import { z } from 'zod';
import { NotFound, PreconditionFailed, PreconditionRequired } from './problem.js';

/** `If-Match: "3"`: the version the caller read. Where it is required, its absence is 428. */
export const IfMatch = z.object({ 'if-match': z.string().regex(/^(W\/)?"\d{1,9}"$/, 'Expected the ETag of the version you read, such as "3"').optional() });
export const versionOf = (header: string | undefined) => (header ? Number(header.replace(/^W\//, '').replace(/"/g, '')) : undefined);

/** Strong ETag from a row's version; `If-Match` on updates is compared against it. */
export const etagOf = (row: { version: number }) => `"${row.version}"`;

/** The version from a required If-Match. */
export function requiredVersion(header: string | undefined): number {
  const version = versionOf(header);
  if (version === undefined) throw PreconditionRequired('Send If-Match with the ETag of the version you read, so concurrent edits are not lost');
  return version;
}

/**
 * Why a conditional update (`where id and version`) changed nothing: the record is gone (404)
 * or another edit came first (412).
 */
export function unchangedBecause(resource: string, id: string, current: { version: number } | undefined, version: number): never {
  if (!current) throw NotFound(resource, id);
  throw PreconditionFailed(`The ${resource} is at version ${current.version}, not ${version}; read it again`);
}
