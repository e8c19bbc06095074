import type { Command } from 'commander';
import { action } from '../action.js';
import { onStop, stoppedWord } from '../interrupt.js';
import { addOutOption, aliased, refuseFileAsHub } from '../options.js';
import { UsageError } from '../../errors.js';
import type { CancelProgress } from '../../study/slurm/follow.js';
import { ARRAY_STEPS, type ArrayStep } from '../../study/slurm/records.js';

/** The phases `status` shows, by name or by letter (`reconstruct (F)`). */
const LETTERS: Record<string, ArrayStep> = { C: 'generate', D: 'overlap', F: 'reconstruct', G: 'compare' };

function phaseFlag(value: string | undefined): ArrayStep | null {
  if (value === undefined) return null;
  if ((ARRAY_STEPS as readonly string[]).includes(value)) return value as ArrayStep;
  const byLetter = LETTERS[value.toUpperCase()];
  if (byLetter !== undefined) return byLetter;
  throw new UsageError(`--phase ${value}: expected one of ${ARRAY_STEPS.join(', ')} (or its letter: C, D, F, G)`);
}

/** `ptychostudy cancel --out H [--phase P]`: scancel on the hub's queued and running SLURM jobs (of one phase). */
export function register(program: Command): void {
  const cmd = program
    .command('cancel')
    .summary('cancel the queued and running SLURM jobs of a hub, or of one of its phases (scancel), recording it in the hub')
    .description(
      'Runs scancel on every queued or running SLURM job of a cluster run of this hub (recorded in ' +
      '<hub>/slurm/jobs.json), waits until SLURM reports them ended, and merges what they left: every cancelled task ' +
      'becomes a failure of its job in the phase\'s manifest, with SLURM\'s reason. Finished results are kept. ' +
      'With --phase: only the jobs of that phase (a line of `status`); the phases after it still run, on what it left ' +
      '(they depend on it ending, not on it succeeding). Once every phase of a submission has ended, its finish job is ' +
      'cancelled too if it is still queued (held, say): nothing of a cancelled submission stays queued. ' +
      'Resume later with the command that submitted the run, with --out <hub> (only what is missing or failed is submitted).\n\n' +
      'Exit codes: 0 cancelled (or nothing was running); 1 some job is still queued or running (scancel refused it: ' +
      'nothing is recorded as cancelled for it; or SLURM had not ended it a minute later), or the hub could not be written (read-only, full): ' +
      'scancel was sent, the line says so and names the file; 2 bad usage (no cluster run in that directory; squeue, scontrol or scancel not on PATH while a submission is not finished); 130, 143, 129 stopped by ' +
      'Ctrl-C, SIGTERM or SIGHUP (the jobs scancel had cancelled are recorded first; `status` merges what they left).');
  addOutOption(cmd, 'the hub, or the output root of a single-phase command (required)', ['--hub']);
  cmd
    .option('--phase <name>', `cancel only this phase's jobs: ${ARRAY_STEPS.join(' | ')} (or C, D, F, G)`)
    .action(action('cancel', async (f: { out?: string; hub?: string; phase?: string }) => {
      const hub = aliased<string>(f, '--out', ['--hub']);
      if (!hub) throw new UsageError('--out is required (the hub)');
      const phase = phaseFlag(f.phase);
      refuseFileAsHub(hub);
      const { cancelHome, recordInterruptedCancel } = await import('../../study/slurm/follow.js'); // loaded when used: the CLI starts fast
      const { shellQuote } = await import('../../study/slurm/script.js');
      const progress: CancelProgress = { sent: null, recorded: null };
      // Ctrl-C, SIGTERM or SIGHUP: what scancel was sent is recorded in jobs.json before the process exits (the
      // scancel under way is completed first: SLURM's commands run in a session of their own).
      const removeStopHandlers = onStop((signal) => {
        const status = `ptychostudy status --out ${shellQuote(hub)}`;
        if (progress.sent === null) {
          process.stderr.write(`\nptychostudy cancel: ${stoppedWord(signal)} before scancel ran; nothing was cancelled\n`);
          return;
        }
        let cancelled: string[];
        try {
          cancelled = recordInterruptedCancel(hub, progress);
        } catch (err) {
          process.stderr.write(`\nptychostudy cancel: ${stoppedWord(signal)} after scancel was sent to SLURM jobs ${progress.sent.ids.join(', ')}; ` +
            `recording it in ${hub}/slurm/jobs.json failed: ${(err as Error).message}\n`);
          return;
        }
        process.stderr.write(`\nptychostudy cancel: ${stoppedWord(signal)}; ` + (cancelled.length > 0
          ? `cancelled SLURM jobs ${cancelled.join(', ')} (recorded in ${hub}/slurm/jobs.json); SLURM ends them on its own, and \`${status}\` ` +
            'merges what they left once they have ended\n'
          : `scancel cancelled none of the jobs (${progress.sent.complaint ?? 'none was queued or running'}); see \`${status}\`\n`));
      });
      const which = phase === null ? '' : ` (${phase})`;
      let r: Awaited<ReturnType<typeof cancelHome>>;
      try {
        r = await cancelHome(hub, undefined, phase, progress);
      } catch (err) {
        // scancel ran, but its record could not be written (a read-only hub, a full disk): the line says both
        const sent = progress.sent;
        if (sent === null || sent.ids.length === 0 || progress.recorded !== null || !(err instanceof Error)) throw err;
        err.message = `scancel was sent to SLURM jobs ${sent.ids.join(', ')}${which}${sent.complaint ? ` (scancel: ${sent.complaint})` : ''}, ` +
          `but recording it in the hub failed: ${err.message}; SLURM ends them on its own, and once the hub can be written ` +
          `\`ptychostudy status --out ${shellQuote(hub)}\` merges what they left`;
        throw err;
      } finally {
        removeStopHandlers();
      }
      if (r.cancelled.length === 0 && r.remaining.length === 0 && r.finishJobs.length === 0) {
        process.stderr.write(`${hub}: no SLURM job of this hub${phase === null ? '' : `'s ${phase} phase`} is queued or running; nothing to cancel\n`);
      } else if (r.cancelled.length > 0) {
        process.stderr.write(`cancelled SLURM jobs ${r.cancelled.join(', ')}${which}${r.complaint && r.remaining.length === 0 ? ` (scancel: ${r.complaint})` : ''}\n`);
      }
      if (r.finishJobs.length > 0) {
        process.stderr.write(`cancelled the finish job${r.finishJobs.length === 1 ? '' : 's'} ${r.finishJobs.join(', ')} too: still queued with every array of ` +
          'its submission ended, it had nothing left to do\n');
      }
      if (r.finished.length > 0) process.stderr.write(`merged what they left (submission ${r.finished.join(', ')}); \`ptychostudy status --out ${shellQuote(hub)}\` shows it\n`);
      if (r.remaining.length > 0) {
        throw new Error(`SLURM jobs ${r.remaining.join(', ')} of ${hub} are still queued or running` +
          (r.complaint ? ` (scancel: ${r.complaint})` : ' a minute after scancel') + `; see \`squeue --jobs ${r.remaining.join(',')}\``);
      }
      return 0;
    }, { hub: '--out' }, 'own'));
}
