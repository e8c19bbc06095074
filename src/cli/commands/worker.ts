import type { Command } from 'commander';
import { action } from '../action.js';
import { integerFlag, requiredFlag } from '../flags.js';
import { onStop, stoppedWord } from '../interrupt.js';
import { STOP_CHECKPOINT_WAIT_MS } from '../../study/reconstruct/engine-runner.js';
import { ReconstructionStop } from '../stop-reconstructions.js';
import { UsageError } from '../../errors.js';
import { ARRAY_STEPS, type ArrayStep } from '../../study/slurm/records.js';

interface Flags {
  hub?: string;
  submission?: string;
  step?: string;
  task?: string;
  finish?: boolean;
}

/** `ptychostudy worker`: what the SLURM scripts of a cluster run execute (one task, or the finish job). */
export function register(program: Command): void {
  program
    .command('worker')
    .summary('run one task of a SLURM job array of a study (the scripts in <hub>/slurm/ call it)')
    .description(
      'Runs what one SLURM array task of a cluster run does (docs/slurm.md): it takes the jobs of step <step> of ' +
      'submission <n> (recorded in <hub>/slurm/jobs.json) one at a time — the job of its own index first, then the ' +
      'next job no task has taken — until none is left, each with the same code as a local run; it writes each ' +
      'job\'s result record (<hub>/slurm/<n>/<step>/results/<job>.json) and merges it into the phase\'s manifests under ' +
      'the hub\'s lock. With --finish: finalizes every step of the submission (a failure, with SLURM\'s reason, for ' +
      'each job left without a result) and writes the report of a whole study. Safe to run again: jobs with a result ' +
      'are not taken again.\n\n' +
      'Stopped by SIGTERM (scancel, the time limit, a requeue), SIGINT or SIGHUP, it says so in its log and releases its ' +
      'locks; a job it had taken and not finished gets no result (its step records SLURM\'s reason for it), except a ' +
      'reconstruction stopped in its last epoch, which finishes it and gets its result before the task exits.\n\n' +
      'Exit codes: 0 every job it ran did its work (or it found none left); 1 a job failed (recorded); 2 bad usage; ' +
      '143 stopped by SIGTERM (130 SIGINT, 129 SIGHUP).')
    .option('--hub <dir>', 'the hub (or the output root of a single-phase command) holding slurm/jobs.json (required)')
    .option('--submission <n>', 'the submission number in slurm/jobs.json (required)')
    .option('--step <name>', `the step: ${ARRAY_STEPS.join(' | ')} (required without --finish)`)
    .option('--task <i>', 'the array task index, SLURM_ARRAY_TASK_ID (required without --finish)')
    .option('--finish', 'finalize the submission and write its report instead of running a task')
    .action(action('worker', async (f: Flags) => {
      const hub = requiredFlag('--hub', f.hub);
      const n = integerFlag('--submission', requiredFlag('--submission', f.submission))!;
      const out = (line: string): void => { process.stdout.write(`[${new Date().toISOString()}] ${line}\n`); };
      // SLURM ends a task with SIGTERM (scancel, its time limit, a requeue or a preemption; SIGKILL only after
      // KillWait): the task says so in its log and exits 143, and the exit releases the locks it holds, so the
      // other tasks and the commands following the run go on at once instead of waiting out the lock's lease.
      // It writes no result for a job it had taken and not finished: that job is recorded with SLURM's reason
      // when its step is finalized, or taken back when SLURM runs this task again after a requeue. A Phase F job under
      // way first ends its epoch and writes its checkpoint (at most STOP_CHECKPOINT_WAIT_MS, well within KillWait),
      // from which it continues when taken back; one that finished its last epoch meanwhile gets its result written and
      // merged as any finished job's, and the task takes no other job (stop-reconstructions.ts).
      const stop = new ReconstructionStop((signal, saved) => {
        out(`${stoppedWord(signal)}: stopped; the results written so far are kept, a job taken and not finished has no result ` +
          '(its step records it as failed with SLURM\'s reason, or this task takes it back if SLURM runs it again' +
          `${saved ? '' : `; a reconstruction still in its epoch after ${STOP_CHECKPOINT_WAIT_MS / 1000} s was ended without saving it`}), and its locks are released`);
      });
      onStop((signal) => stop.handle(signal));
      if (f.finish) {
        const { finishSubmission } = await import('../../study/slurm/finish.js'); // loaded when used
        const done = await finishSubmission(hub, n, 'the finish job', { finishJob: true });
        if (done === null) throw new UsageError(`submission ${n} of ${hub} still has tasks queued or running; the finish job runs after them`);
        for (const s of done.steps) out(`${s.step}: ${s.detail}${s.failed > 0 ? ` (${s.failed} failed)` : ''}`);
        out(done.report !== null ? `report: ${done.report}` : `finished (exit code of the run: ${done.exit_code})`);
        return 0;
      }
      const step = requiredFlag('--step', f.step);
      if (!(ARRAY_STEPS as readonly string[]).includes(step)) throw new UsageError(`--step ${step}: expected one of ${ARRAY_STEPS.join(', ')}`);
      const task = integerFlag('--task', requiredFlag('--task', f.task))!;
      if (task < 0) throw new UsageError(`--task ${task}: expected a task index ≥ 0`);
      const { runWorkerTask } = await import('../../study/slurm/worker.js'); // loaded when used
      const r = await runWorkerTask(hub, n, step as ArrayStep, task, out, stop.signal);
      return stop.recording ? stop.finished() : r.exitCode;
    }, {}, 'own'));
}
