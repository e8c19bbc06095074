/**
 * Live progress of a Phase F run on a stream (stderr): on a TTY a status block (done / running / failed and
 * each running job's epoch) redrawn in place; otherwise plain lines (job start/end, every ~10 % of epochs), each
 * after the time since the view was made (`[+h:mm:ss] `).
 */
import { isAbsolute, join } from 'node:path';
import type { JobRef, PhaseFEvent } from '../../study/reconstruct/record.js';
import { paint } from '../style.js';
import { elapsedPrefix, fit, lineWidth } from './terminal.js';

interface Running {
  job: JobRef;
  epoch: number;
  epochs: number;
  loss: number;
  lastLoggedEpoch: number;
}

const label = (j: JobRef): string => `dose=${j.dose} view=${j.view} split=${j.split}`;
const keyOf = (j: JobRef): string => `${j.dose}|${j.view}|${j.split}`;

/** A result's log path (relative to the Phase F root) as a path that opens from anywhere, when the root is known. */
export function logPath(recorded: string, artifactRoot: string | undefined): string {
  return artifactRoot === undefined || isAbsolute(recorded) ? recorded : join(artifactRoot, recorded);
}

export class ProgressView {
  private readonly running = new Map<string, Running>();
  private done = 0;
  private failed = 0;
  private count = 0;
  private drawnLines = 0;
  private lastDraw = 0;
  private startedAt = 0;
  /** When the view was made (the command's start): plain lines begin with the time since. */
  private readonly t0 = performance.now();

  /**
   * `artifactRoot`: the Phase F root, which the log paths of results are relative to; a failed job's log is
   * shown under it, so that the path opens from where the command ran.
   */
  constructor(private readonly out: NodeJS.WritableStream & { columns?: number }, private readonly tty: boolean,
    private readonly artifactRoot?: string) {}

  handle(e: PhaseFEvent): void {
    switch (e.type) {
      case 'plan':
        this.count = e.toRun.length;
        this.startedAt = Date.now();
        if (!e.dryRun) {
          this.line(`reconstruct: ${e.toRun.length} job(s) to run, ${e.concurrency} at a time` +
            (e.alreadyComplete.length > 0 ? `; ${e.alreadyComplete.length} already complete` : ''));
        }
        break;
      case 'job-start':
        this.running.set(keyOf(e.job), { job: e.job, epoch: 0, epochs: 0, loss: NaN, lastLoggedEpoch: 0 });
        if (!this.tty) this.line(`[${e.index}/${e.count}] start ${label(e.job)}`);
        this.draw(true);
        break;
      case 'epoch': {
        const r = this.running.get(keyOf(e.job));
        if (r === undefined) break;
        if (e.progress.resumed !== undefined) {
          r.lastLoggedEpoch = e.progress.resumed.from;
          this.line(`  ${label(e.job)} continued from epoch ${e.progress.resumed.from} of ${e.progress.epochs} (checkpoint ${e.progress.resumed.checkpoint})`);
        }
        r.epoch = e.progress.epoch;
        r.epochs = e.progress.epochs;
        r.loss = e.progress.loss;
        if (!this.tty) {
          const step = Math.max(1, Math.round(r.epochs / 10));
          if (r.epoch === r.epochs || r.epoch - r.lastLoggedEpoch >= step) {
            r.lastLoggedEpoch = r.epoch;
            this.line(`  ${label(e.job)} epoch ${r.epoch}/${r.epochs} loss ${r.loss.toExponential(4)}`);
          }
        }
        this.draw(false);
        break;
      }
      case 'job-end': {
        this.running.delete(keyOf(e.job));
        this.done = e.done;
        this.failed = e.failed;
        const r = e.result;
        const what = r.status === 'success'
          ? `${paint('done', 'good', this.out)} in ${r.seconds.toFixed(1)} s (${r.epochs_run ?? '?'} epochs, final loss ${r.final_loss === null ? 'n/a' : r.final_loss.toExponential(4)})`
          : `${paint('FAILED', 'bad', this.out)}: ${r.error ?? 'unknown error'} (log ${logPath(r.log_path, this.artifactRoot)})`;
        const eta = this.eta();
        this.line(`[${e.done}/${e.count}] ${label(e.job)} ${what}${eta === null ? '' : ` · ETA ${eta}`}`);
        this.draw(true);
        break;
      }
      default:
        break;
    }
  }

  /**
   * Time left, estimated from the elapsed time and the fraction of the work done (finished jobs plus
   * the epoch fraction of running ones, every job weighted alike); null before anything is known.
   */
  eta(now = Date.now()): string | null {
    if (this.count === 0) return null;
    let doneUnits = this.done;
    for (const r of this.running.values()) if (r.epochs > 0) doneUnits += r.epoch / r.epochs;
    const frac = doneUnits / this.count;
    if (frac <= 0 || frac >= 1) return null;
    const elapsed = (now - this.startedAt) / 1000;
    const left = Math.round((elapsed * (1 - frac)) / frac);
    return left < 60 ? `${left} s` : `${Math.floor(left / 60)} min ${left % 60} s`;
  }

  /** Removes the status block (call before printing the final summary). */
  finish(): void {
    this.clear();
  }

  /** The prefix of a plain line: the time since the view was made; nothing on a terminal redrawn in place. */
  stamp(): string {
    return this.tty ? '' : elapsedPrefix(this.t0);
  }

  private line(text: string): void {
    this.clear();
    this.out.write(this.stamp() + text + '\n');
    this.draw(true);
  }

  private clear(): void {
    if (this.tty && this.drawnLines > 0) {
      this.out.write(`\x1b[${this.drawnLines}A\x1b[J`);
      this.drawnLines = 0;
    }
  }

  private draw(force: boolean): void {
    if (!this.tty || this.count === 0) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.clear();
    const width = lineWidth(this.out);
    const eta = this.eta(now);
    const lines = [`reconstruct: ${this.done}/${this.count} done · ${this.running.size} running · ${this.failed} failed` +
      (eta === null ? '' : ` · ETA ${eta}`)];
    for (const r of this.running.values()) {
      const frac = r.epochs > 0 ? r.epoch / r.epochs : 0;
      const barW = 20;
      const filled = Math.round(frac * barW);
      const bar = '#'.repeat(filled) + '.'.repeat(barW - filled);
      const loss = Number.isFinite(r.loss) ? ` loss ${r.loss.toExponential(3)}` : '';
      lines.push(`  ${label(r.job)} [${bar}] ${r.epochs > 0 ? `epoch ${r.epoch}/${r.epochs}${loss}` : 'loading…'}`);
    }
    const text = lines.map((l) => fit(l, width)).join('\n') + '\n';
    this.out.write(text);
    this.drawnLines = lines.length;
  }
}
