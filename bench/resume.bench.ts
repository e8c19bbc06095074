/**
 * Resuming a finished hub (`ptychostudy run --out HUB` with nothing left to do), which the README says
 * returns in about a second: a tiny study (one dose, 24 positions, 2 epochs) is run once, then resumed
 * RESUMES times as a separate process each; printed beside the time the program takes to start
 * (`ptychostudy --version`), which bounds it from below.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const RESUMES = 5;

function seconds(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`ptychostudy ${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(-400)}`);
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; };

export async function run(): Promise<Record<string, unknown>> {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-bench-resume-'));
  try {
    const hub = join(root, 'hub');
    const made = seconds(['run', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1', '--out', hub, '--quiet']);
    const start: number[] = [], resume: number[] = [];
    for (let i = 0; i < RESUMES; i++) {
      start.push(seconds(['--version']));
      resume.push(seconds(['run', '--out', hub, '--quiet']));
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
