/**
 * What the worker command of a cluster run does: one array task (task.ts) and, when that task finalized
 * the submission's last step, the submission finished at once (finish.ts: merges and the report), so a
 * run ends with its last job rather than a scheduling round later, when the finish job would start. The
 * finish job still runs after the arrays and finds the submission finished (or finishes it when that task
 * could not). `signal`: see runTask.
 */
import { finishSubmission } from './finish.js';
import type { ArrayStep } from './records.js';
import { runTask, type TaskReport } from './task.js';

export async function runWorkerTask(home: string, n: number, step: ArrayStep, arrayTask: number, say: (line: string) => void,
  signal?: AbortSignal): Promise<TaskReport> {
  const report = await runTask(home, n, step, arrayTask, say, signal);
  if (report.finishes) {
    try {
      const f = await finishSubmission(home, n, `task ${arrayTask} of ${step}`);
      if (f !== null) say(f.report !== null ? `report: ${f.report}` : `submission ${n} finished (exit code ${f.exit_code})`);
    } catch (err) {
      say(`warning: finishing submission ${n} failed (the finish job will do it): ${(err as Error).message}`);
    }
  }
  return report;
}
