/**
 * `npm run bench [-- name…]`: runs every benchmark module in bench/ (files named *.bench.ts, each
 * exporting `run(): Promise<Record<string, unknown>>`) and prints one JSON object keyed by module.
 * Progress goes to stderr so stdout stays valid JSON.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here).filter((f) => f.endsWith('.bench.js')).sort()
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const results: Record<string, unknown> = {
  machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()}-${os.arch()}` },
};
for (const f of files) {
  const name = f.replace(/\.bench\.js$/, '');
  process.stderr.write(`bench: ${name}…\n`);
  const mod = (await import(join(here, f))) as { run: () => Promise<Record<string, unknown>> };
  results[name] = await mod.run();
}
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
