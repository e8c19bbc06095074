import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { action } from '../action.js';
import { UsageError } from '../../errors.js';
import { buildReport } from '../../study/report/phase.js';

export function register(program: Command): void {
  program
    .command('report')
    .summary('HTML report of a study hub: design, data, reconstructions, metrics, charts, skipped jobs')
    .description(
      'Writes <hub>/report/index.html with its images in <hub>/report/img/ (self-contained: relative links, no\n' +
      'scripts; it opens from disk). Reads <hub>/design.json, run.json, phase_c/, phase_d/, phase_f/ and phase_g/\n' +
      '(as written by `ptychostudy run`, or by generate/overlap/reconstruct/compare with those roots). Sections:\n' +
      'study design, data (object, probe, position maps with counts), reconstructions, metric tables, charts,\n' +
      'reconstruction runs, skipped/failed jobs with reasons, software versions. Anything missing is shown as\n' +
      '"not available".\n\nExit codes: 0 written; 2 bad usage (no such hub).')
    .option('--hub <dir>', 'the study hub directory (required)')
    .option('--quiet', 'print nothing but errors')
    .action(action('report', async (f: { hub?: string; quiet?: boolean }) => {
      if (!f.hub) throw new UsageError('--hub is required');
      if (!existsSync(f.hub) || !statSync(f.hub).isDirectory()) throw new UsageError(`--hub ${f.hub}: no such directory`);
      const r = await buildReport(f.hub);
      if (!f.quiet) {
        process.stdout.write(`report: ${r.indexPath} (${r.images.length} images)\n`);
        for (const m of r.missing) process.stderr.write(`not available: ${m}\n`);
      }
      return 0;
    }));
}
