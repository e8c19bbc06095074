import type { Command } from 'commander';
import { action } from '../action.js';
import { integerFlag } from '../flags.js';
import { UsageError } from '../../errors.js';
import { submissionNumbers, submissionView } from '../../study/slurm/follow.js';
import { finishSubmission } from '../../study/slurm/finish.js';
import { finishLine, failureLine, stepLine } from '../progress/slurm.js';
import { followAndReport } from '../cluster.js';

interface Flags {
  hub?: string;
  submission?: string;
  wait?: boolean;
  json?: boolean;
}

/** `ptychostudy status --hub H`: the view of a cluster run (what `run --executor slurm` shows while it waits). */
export function register(program: Command): void {
  program
    .command('status')
    .summary('show the SLURM jobs of a hub: tasks queued / running / done / failed per phase, and why each failure happened')
    .description(
      'Shows a cluster run (docs/slurm.md) from the scheduler (squeue) and from the tasks\' result records: per phase,\n' +
      'the tasks queued (and why they wait), running, done and failed, and each failure with SLURM\'s reason. When every\n' +
      'job has ended it also completes the run\'s merges if nothing else did (idempotent).\n' +
      'With --wait: follow until the run is finished (Ctrl-C stops following; nothing is cancelled).\n\n' +
      'Exit codes: 0 no job failed (so far); 1 some job failed; 2 bad usage (no cluster run in that directory).')
    .option('--hub <dir>', 'the hub, or the output root of a single-phase command (required)')
    .option('--submission <n>', 'which submission (default: the latest)')
    .option('--wait', 'follow until every job has ended and the results are merged')
    .option('--json', 'print the view as JSON on stdout')
    .action(action('status', async (f: Flags) => {
      if (!f.hub) throw new UsageError('--hub is required');
      const n = integerFlag('--submission', f.submission) ?? null;
      if (f.wait) return followAndReport('status', f.hub, n, { json: f.json });
      let v = submissionView(f.hub, n);
      if (!v.active && v.finish === null && v.rejected === null && await finishSubmission(f.hub, v.number, 'ptychostudy status') !== null) {
        v = submissionView(f.hub, v.number);
      }
      const failed = v.steps.some((s) => s.failed > 0) || v.rejected !== null || v.finish?.exit_code === 1;
      if (f.json) {
        process.stdout.write(JSON.stringify(v, null, 2) + '\n');
        return failed ? 1 : 0;
      }
      const all = submissionNumbers(f.hub);
      const lines = [`${f.hub}: submission ${v.number} of ${all.length} (${v.command}, ${v.submittedAt})` +
        `${v.finish !== null ? ` — finished, exit code ${v.finish.exit_code}` : v.active ? ' — jobs queued or running' : ' — every job has ended'}`];
      if (v.rejected !== null) lines.push(`sbatch refused the ${v.rejected.step} job: ${v.rejected.message}`);
      for (const c of v.cancelled) lines.push(`cancelled ${c.at}: ${c.job_ids.join(', ')}`);
      lines.push(...v.steps.map(stepLine));
      if (v.rejected === null) lines.push(finishLine(v));
      for (const s of v.steps) for (const x of s.failures) lines.push(failureLine(s.step, x));
      if (v.finish?.report) lines.push(`report: ${v.finish.report}`);
      process.stdout.write(lines.join('\n') + '\n');
      return failed ? 1 : 0;
    }, { hub: '--hub' }));
}
