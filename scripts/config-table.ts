// Rewrites the configuration table in README.md from the config schema: npm run config:table
import { readFile, writeFile } from 'node:fs/promises';
import { withConfigTable } from '../src/platform/config/index.js';

const readme = await readFile('README.md', 'utf8');
await writeFile('README.md', withConfigTable(readme));
console.log('README.md configuration table updated');
