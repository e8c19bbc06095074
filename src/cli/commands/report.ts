import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { action } from '../action.js';
import { addOutOption, aliased, refuseFileAsHub } from '../options.js';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { HUB, PHASE_F } from '../../study/hub/layout.js';

/** Old name of --out, still accepted. */
const OLD_OUT = ['--hub'];

export function register(program: Command): void {
  const cmd = program
    .command('report')
    .summary('HTML report of a study hub: design, data, reconstructions, metrics, charts, skipped jobs')
    .description(
      'Writes <out>/report/index.html with its images in <out>/report/img/ (self-contained: relative links, no ' +
      'scripts; it opens from disk), where <out> is a study hub. Reads <out>/design.json, run.json, phase_c/, phase_d/, phase_f/ and phase_g/ ' +
      '(as written by `ptychostudy run`, or by generate/overlap/reconstruct/compare with those roots). Sections: ' +
      'study design, data (object, probe, position maps with counts; for measured data, the detector mask each reconstruction applied), ' +
      'reconstructions, metric tables, charts, ' +
      'reconstruction runs, skipped/failed jobs with reasons, software versions. Anything missing is shown as ' +
      '"not available". Progress: one line per section on stderr as it is built (none with --quiet). The page is built ' +
      'in a temporary directory and renamed into place, so an interrupted build leaves the earlier report whole.\n\n' +
      'Exit codes: 0 written; 2 bad usage (--out holds nothing of a hub) or a broken input (named), the earlier report kept.');
  addOutOption(cmd, 'the study hub: its report/ is (re)written (required)', OLD_OUT);
  cmd
    .option('--quiet', 'print nothing but errors')
    .action(action('report', async (f: { out?: string; hub?: string; quiet?: boolean }) => {
      const hub = aliased<string>(f, '--out', OLD_OUT);
      if (!hub) throw new UsageError('--out is required (the hub)');
      if (!existsSync(hub)) throw new UsageError(`--out ${hub}: no such directory`);
      refuseFileAsHub(hub);
      // A folder with nothing of a hub (a phase's root, a typo) would get a page of "not available" and a report/ folder.
      const entries = [HUB.design, HUB.runState, HUB.phaseC, HUB.phaseD, HUB.phaseF, HUB.phaseG];
      if (!entries.some((e) => existsSync(join(hub, e)))) {
        // one reconstruction's folder (`lsqml --out`): what it is, and how a report of it is made
        if (existsSync(join(hub, PHASE_F.reconstruction))) {
          throw new UsageError(`--out ${hub}: not a study hub but one reconstruction's folder (${PHASE_F.reconstruction}, as \`lsqml --out\` writes); ` +
            'a report is of a hub: reconstruct the data into one with `ptychostudy reconstruct` (docs/real-data.md, "A report of measured data")');
        }
        throw new UsageError(`--out ${hub}: not a study hub (expected one of ${entries.join(', ')}; found none)`);
      }
      const { buildReport } = await import('../../study/report/phase.js');
      const r = await buildReport(hub, f.quiet ? {} : { onProgress: (p) => process.stderr.write(`${p.message}\n`) });
      if (!f.quiet) {
        process.stdout.write(`report: ${r.indexPath} (${r.images.length} images)\n`);
        for (const m of r.missing) process.stderr.write(`not available: ${m}\n`);
      }
      return 0;
    }));
}
