import { execSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';

/** The machine the figures were measured on, as docs/benchmarks.md states it. */
export function machine(postgresVersion?: string): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let kernel: string;
  try {
    kernel = execSync('uname -sr', { encoding: 'utf8' }).trim();
  } catch {
    kernel = process.platform;
  }
  return `${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${kernel}, Node ${process.version}${postgresVersion ? `, PostgreSQL ${postgresVersion}` : ''}`;
}

/** Replaces the section between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`, adding it if missing. */
export async function writeSection(name: string, markdown: string, file = 'docs/benchmarks.md'): Promise<void> {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  let text = await readFile(file, 'utf8').catch(() => '# Benchmarks\n\nEach section is written by its benchmark; the command that produced it is in the section.\n');
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? `${text.slice(0, from)}${block}${text.slice(to + end.length)}` : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(file, text);
}
