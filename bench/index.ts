/**
 * `npm run bench [-- name…]`: runs every benchmark module in bench/ (files named *.bench.ts, each
 * exporting `run(): Promise<Record<string, unknown>>`) and prints one JSON object keyed by module.
 * With names, only the modules whose file name contains one of them; a name that matches no module is refused
 * (one line on stderr naming it and the modules, exit code 2, nothing run). An argument that starts with '-' is a
 * module's own option (`lsqml-study --preset quick`), the argument after it its value, not a name. `--help` lists
 * the modules, each with the first line of its header comment.
 * Progress goes to stderr so stdout stays valid JSON.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
/** The names among the arguments: not an option (`-…`), nor the value after one (without `=`). */
const filters: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (!a.startsWith('-')) filters.push(a);
  else if (!a.includes('=') && a !== '--help' && a !== '-h') i++;
}
const all = readdirSync(here).filter((f) => f.endsWith('.bench.js')).sort();
const nameOf = (f: string): string => f.replace(/\.bench\.js$/, '');

/** The first line of a module's header comment (what it measures). */
function summary(f: string): string {
  const m = /^\/\*\*\s*\n\s*\*\s*(.*)$/m.exec(readFileSync(join(here, f), 'utf8'));
  return m?.[1]?.trim() ?? '';
}

if (args.includes('--help') || args.includes('-h')) {
  const lines = ['usage: npm run bench [-- NAME…]   runs the benches whose name contains a NAME (every one without a NAME)',
    '       and prints one JSON object keyed by bench; progress on stderr. An argument starting with - is a bench\'s',
    '       own option, the argument after it its value (lsqml-study --preset quick).', '', 'benches:',
    ...all.map((f) => `  ${nameOf(f).padEnd(14)} ${summary(f)}`)];
  process.stdout.write(lines.join('\n') + '\n');
  process.exit(0);
}
const unknown = filters.filter((s) => !all.some((f) => f.includes(s)));
if (unknown.length > 0) {
  process.stderr.write(`bench: no bench named ${unknown.map((s) => `'${s}'`).join(', ')}: expected a part of one of ${all.map(nameOf).join(', ')}\n`);
  process.exit(2);
}
const files = all.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const results: Record<string, unknown> = {
  machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()}-${os.arch()}` },
};
for (const f of files) {
  const name = nameOf(f);
  process.stderr.write(`bench: ${name}…\n`);
  const mod = (await import(join(here, f))) as { run: () => Promise<Record<string, unknown>> };
  results[name] = await mod.run();
}
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
