/**
 * What the stop handler of `run`, `reconstruct` and a SLURM task (`worker`) does with the Phase F jobs under way in its
 * worker threads (Ctrl-C, SIGTERM, SIGHUP). Each job is asked to stop — it ends the epoch under way and writes its
 * checkpoint, or, stopped in its last epoch, finishes it and writes its result — and the handler blocks until they have
 * ended, at most `STOP_CHECKPOINT_WAIT_MS` (engine-runner.ts `checkpointJobsUnderWay`). Then:
 *
 *  - no job ended with its result: the command says what was kept (`say`) and the process ends at once;
 *  - some did, or a job finished before the stop and Phase F was still storing it when the handler ran (its outputs moved
 *    in, its input's fingerprint awaited: `finishedJobsUnrecorded` counts both): their results wait for the event loop.
 *    The command's `signal` is aborted and the handler
 *    returns 'later': the command's own code records them as it records any finished job (Phase F through its signal,
 *    a SLURM task between two jobs), starts no other job, and ends with the signal's status (`finished`). Should that
 *    take longer than another `STOP_CHECKPOINT_WAIT_MS`, the process ends anyway, as it did before;
 *  - a job was still in its epoch: its thread is ended, the checkpoint it may have been writing removed, and the
 *    process ends (the results of the others are not read: each job continues from its checkpoint).
 */
import { checkpointJobsUnderWay, endJobsStillUnderWay, finishedJobsUnrecorded, STOP_CHECKPOINT_WAIT_MS } from '../study/reconstruct/engine-runner.js';
import { SIGNAL_EXIT_CODE, type StopSignal } from './interrupt.js';

export class ReconstructionStop {
  private readonly controller = new AbortController();
  private said = false;
  private stopSignal: StopSignal | null = null;

  /** `say(signal, saved)`: records and prints what the stop kept; `saved` false when a job was still in its epoch. */
  constructor(private readonly say: (signal: StopSignal, saved: boolean) => void) {}

  /** The command's signal: aborted when jobs that finished during the stop are to be recorded before the exit. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the handler returned 'later' to record the jobs that finished during the stop. */
  get recording(): boolean {
    return this.controller.signal.aborted;
  }

  /** The stop handler's part (interrupt.ts `onStop`): 'later' when the command still records or cleans up. */
  handle(signal: StopSignal): 'later' | undefined {
    this.stopSignal = signal;
    const saved = checkpointJobsUnderWay(signal);
    const exit = (): void => {
      try {
        this.once(saved);
      } finally {
        process.exit(SIGNAL_EXIT_CODE[signal]);
      }
    };
    if (saved && finishedJobsUnrecorded() === 0) {
      this.once(true);
      return undefined;
    }
    if (saved) this.controller.abort(signal);
    else void endJobsStillUnderWay().then(exit, exit);
    setTimeout(exit, STOP_CHECKPOINT_WAIT_MS).unref();
    return 'later';
  }

  /** When the command has recorded the jobs that finished during the stop: says what was kept; the exit status. */
  finished(): number {
    this.once(true);
    return SIGNAL_EXIT_CODE[this.stopSignal!];
  }

  /**
   * When the command's work threw `err`: the exit status if it was a Phase F stop the handler asked for
   * (`StudyAbortedError` while recording, after which `finished` says what was kept), else null: `err` is the command's.
   */
  async finishedOnAbort(err: unknown): Promise<number | null> {
    const { StudyAbortedError } = await import('../study/phase.js'); // loaded with the phase
    return this.recording && err instanceof StudyAbortedError ? this.finished() : null;
  }

  private once(saved: boolean): void {
    if (this.said) return;
    this.said = true;
    this.say(this.stopSignal!, saved);
  }
}
