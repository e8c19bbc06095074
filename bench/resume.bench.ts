/**
 * Resuming a finished hub (`ptychostudy run --out HUB` with nothing left to do), which the README says
 * returns in about a second: a tiny study (one dose, 24 positions, 2 epochs) is run once, then resumed
 * RESUMES times as a separate process each; printed beside the time the program takes to start
 * (`ptychostudy --version`), which bounds it from below.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { cliSeconds, median } from './cli-timing.js';

const RESUMES = 5;


export async function run(): Promise<Record<string, unknown>> {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-bench-resume-'));
  try {
    const hub = join(root, 'hub');
    const made = cliSeconds(['run', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1', '--out', hub, '--quiet']);
    const start: number[] = [], resume: number[] = [];
    for (let i = 0; i < RESUMES; i++) {
      start.push(cliSeconds(['--version']));
      resume.push(cliSeconds(['run', '--out', hub, '--quiet']));
    }
    return {
      load_average_1min: +loadavg()[0]!.toFixed(2),
      tiny_study_s: +made.toFixed(2),
      program_start_s_median: +median(start).toFixed(3),
      finished_hub_resume_s_median: +median(resume).toFixed(3),
      finished_hub_resume_s: resume.map((x) => +x.toFixed(3)),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
