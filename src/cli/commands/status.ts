import type { Command } from 'commander';
import { action } from '../action.js';
import { integerFlag } from '../flags.js';
import { addOutOption, aliased, refuseFileAsHub } from '../options.js';
import { UsageError } from '../../errors.js';
import { finishLine, failureLines, stepLine } from '../progress/slurm.js';
import { isOutOfSpace } from '../../files/atomic.js';
import { printable, shellJoin } from '../../text.js';
import type { SubmissionView } from '../../study/slurm/follow.js';

/** How a submission's state heads the view: a cancelled one is never called finished. */
const HEADER: Record<SubmissionView['state'], string> = {
  active: ' — jobs queued or running',
  ended: ' — every job has ended',
  finished: ' — finished',
  cancelled: ' — cancelled before it finished (ptychostudy cancel); what its jobs left is merged',
};

/**
 * A finished submission's finish job held in the queue all the same (held after the last task merged it, or left so by an
 * earlier version) is cancelled and recorded: the submission is not shown finished with a job of its own queued for ever.
 * The view as it is then, and the line to print when the job could not be cancelled (else null).
 */
async function cancelHeldFinish(hub: string, v: SubmissionView): Promise<{ view: SubmissionView; held: string | null }> {
  if (v.finish === null || v.finishJob.state === 'cancelled') return { view: v, held: null };
  const { cancelHeldFinishJob } = await import('../../study/slurm/finish.js');
  const { submissionView } = await import('../../study/slurm/follow.js');
  try {
    return { view: await cancelHeldFinishJob(hub, v.number) !== null ? submissionView(hub, v.number) : v, held: null };
  } catch (err) {
    return { view: v, held: `ptychostudy status: the finish job ${v.finishJob.jobId} is held in SLURM's queue and could not be cancelled: ${(err as Error).message}` };
  }
}

interface Flags {
  out?: string;
  hub?: string;
  submission?: string;
  wait?: boolean;
  json?: boolean;
}

/** `ptychostudy status --out H`: the view of a cluster run (what `run --executor slurm` shows while it waits). */
export function register(program: Command): void {
  const cmd = program
    .command('status')
    .summary('show the SLURM jobs of a hub: jobs queued / running / done / failed per phase, and why each failure happened')
    .description(
      'Shows a cluster run (docs/slurm.md) from the scheduler (squeue) and from the jobs\' claims and result records: per ' +
      'phase, the jobs queued (and why their tasks wait), running, done and failed, and each failure with SLURM\'s reason. ' +
      'When every job has ended it also completes the run\'s merges if nothing else did (idempotent), and cancels a finish job ' +
      'still held then (it has nothing left to do). The first line says where the submission stands: jobs queued or running, ' +
      'every job has ended, finished, or — once `ptychostudy cancel` cancelled some of its jobs — cancelled before it finished. ' +
      'With --wait: follow until the run is finished (Ctrl-C stops following; nothing is cancelled), then cancel its finish job if it is held ' +
      'all the same, as without --wait.\n\n' +
      'Exit codes: 0 no job failed (so far); 1 some job failed, sbatch refused a step, the report was written but named broken hub files ' +
      '(README, "Resume"), or the ended jobs\' results cannot be merged (a full disk: ' +
      'the jobs are shown, then one line naming the file); 2 bad usage (no cluster run in that directory; squeue or scontrol not on PATH while a submission is not finished).');
  addOutOption(cmd, 'the hub, or the output root of a single-phase command (required)', ['--hub']);
  cmd
    .option('--submission <n>', 'which submission (default: the latest)')
    .option('--wait', 'follow until every job has ended and the results are merged')
    .option('--json', 'print the view as JSON on stdout')
    .action(action('status', async (f: Flags) => {
      const hub = aliased<string>(f as Record<string, unknown>, '--out', ['--hub']);
      if (!hub) throw new UsageError('--out is required (the hub)');
      const n = integerFlag('--submission', f.submission) ?? null;
      refuseFileAsHub(hub);
      // loaded when used: the CLI starts fast
      const { submissionNumbers, submissionView } = await import('../../study/slurm/follow.js');
      const { finishSubmission } = await import('../../study/slurm/finish.js');
      const { finishedExitCode } = await import('../../study/slurm/records.js');
      const { followAndReport } = await import('../cluster.js');
      // followed to its end (at once when it had finished before), the finish job is looked at as without --wait
      if (f.wait) {
        return followAndReport('status', hub, n, { json: f.json }, null, async (finished) => {
          const { view, held } = await cancelHeldFinish(hub, finished);
          if (held !== null) process.stderr.write(printable(held, Infinity) + '\n');
          return view;
        });
      }
      let v = submissionView(hub, n);
      // A full disk can stop the merge of the ended jobs' results (it writes the manifests and takes the hub's lock):
      // the jobs are still shown as the records have them, with that one line after them.
      let unmerged: string | null = null;
      if (!v.active && v.finish === null && v.rejected === null) {
        try {
          if (await finishSubmission(hub, v.number, 'ptychostudy status') !== null) v = submissionView(hub, v.number);
        } catch (err) {
          if (!isOutOfSpace(err)) throw err;
          unmerged = `ptychostudy status: the results of the ended jobs cannot be merged yet: ${(err as Error).message}; ` +
            `make room, then run ${shellJoin(['ptychostudy', 'status', '--out', hub])} again`;
        }
      }
      const checked = await cancelHeldFinish(hub, v);
      v = checked.view;
      const held = checked.held;
      const failed = v.steps.some((s) => s.failed > 0) || v.rejected !== null || (v.finish !== null && finishedExitCode(v.finish) !== 0) || unmerged !== null;
      if (f.json) {
        process.stdout.write(JSON.stringify(v, null, 2) + '\n');
        if (unmerged !== null) process.stderr.write(printable(unmerged, Infinity) + '\n');
        if (held !== null) process.stderr.write(printable(held, Infinity) + '\n');
        return failed ? 1 : 0;
      }
      const all = submissionNumbers(hub);
      const lines = [`${hub}: submission ${v.number} of ${all.length} (${v.command}, ${v.submittedAt})` +
        `${HEADER[v.state]}${v.finish !== null ? `, exit code ${v.finish.exit_code}` : ''}`];
      if (v.rejected !== null) lines.push(`sbatch refused the ${v.rejected.step} job: ${v.rejected.message}`);
      if (v.stopped !== null) {
        lines.push(`the submitting command was stopped (${v.stopped.signal}, ${v.stopped.at}) before it submitted: ${v.stopped.not_submitted.join(', ')}; ` +
          'once the jobs below have ended, the same command submits what is missing');
      }
      for (const c of v.cancelled) lines.push(`cancelled ${c.at}: ${c.job_ids.join(', ')}`);
      lines.push(...v.steps.map(stepLine));
      if (v.rejected === null) lines.push(finishLine(v));
      for (const s of v.steps) lines.push(...failureLines(s.step, s.failures));
      if (v.finish?.report) lines.push(`report: ${v.finish.report}`);
      process.stdout.write(lines.join('\n') + '\n');
      if (unmerged !== null) process.stderr.write(printable(unmerged, Infinity) + '\n');
      if (held !== null) process.stderr.write(printable(held, Infinity) + '\n');
      return failed ? 1 : 0;
    }, { hub: '--out' }));
}
