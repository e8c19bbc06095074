/**
 * The view of a cluster run on a stream (stderr): one line per step — its jobs queued, running, done and
 * failed, and why queued ones wait — redrawn in place on a terminal, printed when it changes otherwise;
 * each failure once, with its SLURM reason (jobs failed for the same reason on one line).
 */
import type { StepView, SubmissionView } from '../../study/slurm/follow.js';
import { fit, lineWidth } from './terminal.js';

const PHASE_LETTER: Record<string, string> = { generate: 'C', overlap: 'D', reconstruct: 'F', compare: 'G' };

export function stepLine(s: StepView): string {
  const parts = [`${s.done}/${s.tasks} done`];
  if (s.running > 0) parts.push(`${s.running} running`);
  if (s.queued > 0) parts.push(`${s.queued} queued${s.waiting.length > 0 ? ` (${s.waiting.join(', ')})` : ''}`);
  // a requeued task waits for its own reason (BeginTime…) to take back the job it holds
  if (s.requeued > 0) parts.push(`${s.requeued} requeued${s.requeuedWaiting.length > 0 ? ` (${s.requeuedWaiting.join(', ')})` : ''}`);
  if (s.failed > 0) parts.push(`${s.failed} failed`);
  return `${`${s.step} (${PHASE_LETTER[s.step]})`.padEnd(16)} job ${(s.jobId ?? '—').padEnd(8)} ${parts.join(' · ')}${s.final ? ' ✓ merged' : ''}`;
}

export function finishLine(v: SubmissionView): string {
  if (v.finishJob.jobId === null && v.stopped !== null) return `${'finish'.padEnd(16)} job ${'—'.padEnd(8)} not submitted (the submitting command was stopped)`;
  const what = v.command === 'run' ? ' (merges, then the report)' : ' (merges)';
  const job = `${'finish'.padEnd(16)} job ${(v.finishJob.jobId ?? '—').padEnd(8)}`;
  // A held finish job stays queued after its submission is merged by another command: said as it is, never `done`.
  if (v.finishJob.state === 'queued' || v.finishJob.state === 'running') {
    const queued = v.finishJob.state === 'queued' ? `queued${v.finishJob.reason !== null ? ` (${v.finishJob.reason})` : ''}` : 'running';
    return `${job} ${queued}${what}${v.finish !== null ? `; the merges are done (${v.finish.finished_by})` : ''}`;
  }
  if (v.finishJob.state === 'cancelled') {
    return `${job} cancelled${v.finish !== null ? ` — merged by ${v.finish.finished_by}${v.command === 'run' ? `, ${v.finish.report !== null ? 'report written' : 'no report'}` : ''}` : ''}`;
  }
  return `${job} ${v.finish !== null ? 'done' : 'ended'}${what}`;
}

export function failureLine(step: string, f: { key: string; slurmJob: string | null; message: string }): string {
  return `FAILED ${step} ${f.key}${f.slurmJob ? ` (SLURM job ${f.slurmJob})` : ''}: ${f.message}`;
}

type Failure = { key: string; slurmJob: string | null; message: string };

/**
 * The failures of a step, one line per reason: jobs that failed for the same reason (a step that could not
 * start fails each of its jobs with the same message) share one line that counts them and names the first
 * few. `said`: a line already printed (the step's detail); a reason it holds is not repeated.
 */
export function failureLines(step: string, failures: readonly Failure[], said: string | null = null): string[] {
  const byMessage = new Map<string, Failure[]>();
  for (const f of failures) byMessage.set(f.message, [...(byMessage.get(f.message) ?? []), f]);
  const lines: string[] = [];
  for (const [message, group] of byMessage) {
    if (group.length === 1) {
      lines.push(failureLine(step, group[0]!));
      continue;
    }
    const shown = 3;
    const keys = group.slice(0, shown).map((f) => f.key).join(', ') + (group.length > shown ? ` and ${group.length - shown} more` : '');
    // the SLURM tasks that had them, as a single failure's line names its task
    const tasks = [...new Set(group.flatMap((f) => (f.slurmJob === null ? [] : [f.slurmJob])))];
    const where = tasks.length === 0 ? ''
      : `; SLURM task${tasks.length === 1 ? '' : 's'} ${tasks.slice(0, shown).join(', ')}${tasks.length > shown ? ` and ${tasks.length - shown} more` : ''}`;
    const reason = message.replace(/^failed: /, '');
    const text = said !== null && reason.length > 0 && said.includes(reason) ? 'the reason above' : message;
    lines.push(`FAILED ${step} ${group.length} jobs (${keys}${where}), each: ${text}`);
  }
  return lines;
}

export class ClusterProgress {
  private drawn = 0;
  private readonly printed = new Set<string>();
  private lastText = '';

  constructor(private readonly out: NodeJS.WritableStream & { columns?: number }, private readonly tty: boolean) {}

  update(v: SubmissionView): void {
    this.clear();
    for (const s of v.steps) {
      const fresh: Failure[] = [];
      for (const f of s.failures) {
        const line = failureLine(s.step, f);
        const id = `${s.step}|${f.key}`;
        // A failure first seen as "ended without a result" is printed again once SLURM's reason is merged.
        if (this.printed.has(line) || (this.printed.has(id) && !s.final)) continue;
        this.printed.add(line);
        this.printed.add(id);
        fresh.push(f);
      }
      for (const line of failureLines(s.step, fresh)) this.out.write(line + '\n');
    }
    const lines = [...v.steps.map(stepLine), finishLine(v)];
    if (this.tty) {
      this.out.write(lines.map((l) => fit(l, lineWidth(this.out))).join('\n') + '\n');
      this.drawn = lines.length;
    } else {
      const text = lines.join('\n');
      if (text !== this.lastText) {
        // Only the lines that changed, so a log of a long run stays short.
        const before = this.lastText.split('\n');
        for (const [i, l] of lines.entries()) if (before[i] !== l) this.out.write(`  ${l}\n`);
        this.lastText = text;
      }
    }
  }

  /** Removes the redrawn block (before the final summary). */
  finish(): void {
    this.clear();
  }

  private clear(): void {
    if (this.tty && this.drawn > 0) {
      this.out.write(`\x1b[${this.drawn}A\x1b[J`);
      this.drawn = 0;
    }
  }
}
