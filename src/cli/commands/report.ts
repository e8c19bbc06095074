import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { action } from '../action.js';
import { addOutOption, aliased, refuseFileAsHub } from '../options.js';
import { dirname, join, resolve } from 'node:path';
import { folderKind } from '../../study/hub/folder-kind.js';
import { UsageError } from '../../errors.js';
import { HUB, PHASE_F } from '../../study/hub/layout.js';

/** Old name of --out, still accepted. */
const OLD_OUT = ['--hub'];

/** The page written (on stdout) and what it could not show (on stderr): the same for a hub's report and one reconstruction's. */
function printReport(r: { indexPath: string; images: readonly unknown[]; missing: readonly string[] }): void {
  process.stdout.write(`report: ${r.indexPath} (${r.images.length} images)\n`);
  for (const m of r.missing) process.stderr.write(`not available: ${m}\n`);
}

/** One line per hub file that is there but broken (printed with --quiet too: it makes the exit code 1). */
function printBroken(broken: readonly { file: string; reason: string }[]): void {
  for (const b of broken) process.stderr.write(`${b.file}: ${b.reason} (broken evidence: the report shows it as broken)\n`);
}

export function register(program: Command): void {
  const cmd = program
    .command('report')
    .summary('HTML report of a study hub, or of one reconstruction (an `lsqml --out` folder)')
    .description(
      'Writes <out>/report/index.html with its images in <out>/report/img/ (self-contained: relative links, no ' +
      'scripts; it opens from disk), where <out> is a study hub. Reads <out>/design.json, run.json, phase_c/, phase_d/, phase_f/ and phase_g/ ' +
      '(as written by `ptychostudy run`, or by generate/overlap/reconstruct/compare with those roots). Sections: ' +
      'study design, data (object, probe, position maps with counts; for measured data, the detector mask each reconstruction applied), ' +
      'reconstructions, metric tables, charts, ' +
      'reconstruction runs, skipped/failed jobs with reasons, software versions. Anything missing is shown as ' +
      '"not available". A hub file that is there but cannot be read (a directory or named pipe in its place, a dangling link, a truncated ' +
      'or corrupt file, a figure over 64 MiB) is not taken for a missing one: the report is still written from the rest, lists it under ' +
      '"Broken evidence" with the reason, marks what it would have shown "Broken", prints one line per broken file on stderr and exits 1. Progress: one line per section on stderr as it is built (none with --quiet). The page is built ' +
      'in a temporary directory and renamed into place, so an interrupted build leaves the earlier report whole; the report it replaces ' +
      '(page and images) moves to <out>/report/history/replaced-<time>/.\n\n' +
      'One reconstruction: when <out> is a folder `ptychostudy lsqml --out` wrote (reconstruction.npz, no hub files), the page ' +
      'is a report of that reconstruction: object amplitude and phase over the scanned region (scale bar in metres when the data ' +
      'states the pixel size), probe modes with their power fractions, loss per epoch, scan positions, the detector mask, a few ' +
      'patterns of the input file (only if its SHA-256 matches the one recorded; the path reconstruction_run.json records is followed only ' +
      'inside the folder\'s parent directory, so data elsewhere is named with --input FILE), the input ' +
      'file\'s path, size and SHA-256, the settings and options used, the `ptychostudy lsqml` command that runs it again (its settings in ' +
      '<out>/report/img/lsqml-settings.json, for --config; the input is the file --input names, else the recorded path) and software versions. A report that <out>/report/index.html ' +
      'already holds is kept (exit 2) unless --force replaces it.\n\n' +
      'Exit codes: 0 written; 1 written, but a hub file, or the reconstruction_run.json of one reconstruction\'s folder, is broken (each named on stderr and in the page), or a file could not be written (a full disk: named; the earlier report kept); 2 bad usage (--out holds nothing of a hub or reconstruction; SLURM jobs that write the hub are still queued or running, named with the commands that wait for or cancel them; a reconstruction\'s report exists ' +
      'without --force) or a broken reconstruction.npz of one reconstruction\'s folder (named: there is nothing to show), the earlier report kept and nothing written.');
  addOutOption(cmd, 'the study hub (its report/ is rewritten, the earlier one kept in report/history/), or one reconstruction\'s folder as `lsqml --out` writes it (required)', OLD_OUT);
  cmd
    .option('--quiet', 'print nothing but errors')
    .option('--force', 'with --out an `lsqml` output folder: replace the report it already holds, which moves to report/history/replaced-<time>/ (without --force an existing report is kept and the command exits 2)')
    .option('--input <file>', 'with --out an `lsqml` output folder: the data file it read, to draw a few of its patterns from (its size and SHA-256 must be ' +
      'those recorded, else it is refused, exit 2, nothing written; without it the recorded path is followed only inside the folder\'s parent directory, ' +
      'and a file that is not there or has changed is only noted on the page)')
    .action(action('report', async (f: { out?: string; hub?: string; quiet?: boolean; force?: boolean; input?: string }) => {
      const hub = aliased<string>(f, '--out', OLD_OUT);
      if (!hub) throw new UsageError('--out is required (the hub)');
      if (!existsSync(hub)) throw new UsageError(`--out ${hub}: no such directory`);
      refuseFileAsHub(hub);
      // A folder with nothing of a hub (a phase's root, a typo) would get a page of "not available" and a report/ folder.
      const entries = [HUB.design, HUB.runState, HUB.phaseC, HUB.phaseD, HUB.phaseF, HUB.phaseG];
      if (!entries.some((e) => existsSync(join(hub, e)))) {
        // one reconstruction's folder (`lsqml --out`): a report of that reconstruction
        if (existsSync(join(hub, PHASE_F.reconstruction))) {
          const { buildReconstructionReport } = await import('../../study/report/reconstruction-report.js');
          const r = await buildReconstructionReport(hub, {
            force: f.force === true, ...(f.input !== undefined ? { input: f.input } : {}),
            ...(f.quiet ? {} : { onProgress: (p) => process.stderr.write(`${p.message}\n`) }),
          });
          if (!f.quiet) printReport(r);
          printBroken(r.broken);
          return r.broken.length > 0 ? 1 : 0;
        }
        // a phase's folder of a hub (HUB/phase_f): the report is the hub's
        const up = dirname(resolve(hub));
        const ofHub = folderKind(hub) !== null && folderKind(up)?.kind === 'hub' ? `; it is a phase's folder of the hub ${dirname(hub)}: give --out ${dirname(hub)}` : '';
        throw new UsageError(`--out ${hub}: not a study hub (expected one of ${entries.join(', ')}; found none) nor a reconstruction folder (${PHASE_F.reconstruction}, as \`lsqml --out\` writes)${ofHub}`);
      }
      if (f.force) throw new UsageError(`--force: only for the report of one reconstruction (an \`lsqml --out\` folder); a hub's report is rebuilt in place on every run`);
      if (f.input !== undefined) throw new UsageError(`--input: only for the report of one reconstruction (an \`lsqml --out\` folder); a hub's report draws the patterns of its own Phase C files`);
      // never beside SLURM jobs that still write the hub: the library's buildReport refuses it so, and so does the command
      const { guardReport } = await import('../cluster.js');
      await guardReport(hub);
      const { buildReport } = await import('../../study/report/phase.js');
      const r = await buildReport(hub, f.quiet ? {} : { onProgress: (p) => process.stderr.write(`${p.message}\n`) });
      if (!f.quiet) printReport(r);
      printBroken(r.broken);
      return r.broken.length > 0 ? 1 : 0;
    }, { dir: '--out', force: '--force', input: '--input' }));
}
