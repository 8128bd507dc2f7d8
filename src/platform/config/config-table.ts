import { z } from 'zod';
import { ConfigSchema } from './config.schema.js';

const README_START = '<!-- config-table:start -->';
const README_END = '<!-- config-table:end -->';

/** The README's configuration table, generated from the schema so the two cannot drift. */
export function configTable(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input' }) as { properties: Record<string, { default?: unknown; description?: string }> };
  const rows = Object.entries(schema.properties).map(([name, property]) => {
    const fallback = property.default === undefined ? '—' : `\`${String(property.default)}\``;
    return `| \`${name}\` | ${fallback} | ${(property.description ?? '').replace(/\|/g, '\\|')} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** Replaces the table between the README's markers; throws when the markers are missing. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README lacks ${README_START} … ${README_END}`);
  return `${readme.slice(0, start + README_START.length)}\n${configTable()}\n${readme.slice(end)}`;
}
