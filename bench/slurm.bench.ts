/**
 * `npm run bench -- slurm`: the quick study (`npm start`'s) through SLURM against the local executor on the
 * same machine — wall time of each and their ratio (target ≤ 1.3: the scheduler's and the per-task
 * processes' overhead must stay small), CPU time (local: this process and its worker threads; SLURM: every
 * job's result record — its task's CPU since the job before — the submitting command aside), load
 * averages, and per SLURM step its jobs, array tasks and span (first job start to last job end). Needs a SLURM cluster whose `sinfo` answers (one node:
 * scripts/local-slurm.sh); says why when there is none.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseStudySettings } from '../src/settings/parse.js';
import { runStudy } from '../src/study/run/study.js';
import { cpuSecondsSince } from './cpu-time.js';

const round = (x: number, d = 1): number => Number(x.toFixed(d));

export async function run(): Promise<Record<string, unknown>> {
  const sinfo = spawnSync('sinfo', ['--noheader', '--format', '%T %c'], { encoding: 'utf8', timeout: 20_000 });
  if (sinfo.error || sinfo.status !== 0 || !/idle|mixed/.test(sinfo.stdout)) {
    return { skipped: `no SLURM node answers (${sinfo.error?.message ?? (sinfo.stderr.trim() || sinfo.stdout.trim() || 'sinfo failed')}); scripts/local-slurm.sh brings one up` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-bench-slurm-'));
  try {
    const out: Record<string, unknown> = { cores: cpus().length, slurm_node: sinfo.stdout.trim() };

    // Local: the study in this process (its reconstructions in worker threads), as `npm start` runs it.
    const load0 = loadavg();
    let t0 = performance.now();
    const c0 = process.cpuUsage();
    const local = await runStudy(join(dir, 'local'), parseStudySettings({ preset: 'quick' }));
    const localCpu = cpuSecondsSince(c0);
    const localWall = (performance.now() - t0) / 1000;
    out.local = { wall_s: round(localWall), cpu_s: round(localCpu), exit_code: local.exitCode, load_before: load0.map((x) => round(x, 2)) };

    // SLURM: the CLI, as a person runs it (submit, follow to the end).
    const load1 = loadavg();
    t0 = performance.now();
    const hub = join(dir, 'slurm');
    const r = spawnSync(process.execPath, [resolve('dist/src/cli/main.js'), 'run', '--preset', 'quick', '--executor', 'slurm', '--out', hub, '--quiet'],
      { encoding: 'utf8', timeout: 1_800_000 });
    const slurmWall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`the SLURM run failed (exit ${r.status}): ${r.stderr}`);
    const steps: Record<string, unknown> = {};
    let taskCpu = 0;
    let jobs = 0;
    const sub = JSON.parse(readFileSync(join(hub, 'slurm', 'jobs.json'), 'utf8')) as { submissions: { steps: { step: string; array_tasks?: number }[] }[] };
    for (const step of ['generate', 'overlap', 'reconstruct', 'compare']) {
      const rdir = join(hub, 'slurm', '1', step, 'results');
      const records = readdirSync(rdir).map((f) => JSON.parse(readFileSync(join(rdir, f), 'utf8')) as { started_at: string; finished_at: string; cpu_seconds: number; seconds: number });
      const first = Math.min(...records.map((x) => Date.parse(x.started_at)));
      const last = Math.max(...records.map((x) => Date.parse(x.finished_at)));
      const cpu = records.reduce((a, x) => a + x.cpu_seconds, 0);
      taskCpu += cpu;
      jobs += records.length;
      steps[step] = {
        jobs: records.length, array_tasks: sub.submissions[0]!.steps.find((x) => x.step === step)?.array_tasks ?? null,
        span_s: round((last - first) / 1000), task_cpu_s: round(cpu), mean_job_s: round(records.reduce((a, x) => a + x.seconds, 0) / records.length, 2),
      };
    }
    const submitted = JSON.parse(readFileSync(join(hub, 'slurm', 'jobs.json'), 'utf8')) as { submissions: { submitted_at: string }[] };
    const finish = JSON.parse(readFileSync(join(hub, 'slurm', '1', 'finish.json'), 'utf8')) as { finished_at: string };
    out.slurm = {
      wall_s: round(slurmWall), task_cpu_s: round(taskCpu), jobs, steps,
      submitted_to_finished_s: Date.parse(finish.finished_at) - Date.parse(submitted.submissions[0]!.submitted_at) > 0
        ? round((Date.parse(finish.finished_at) - Date.parse(submitted.submissions[0]!.submitted_at)) / 1000) : null,
      load_before: load1.map((x) => round(x, 2)), load_after: loadavg().map((x) => round(x, 2)),
    };
    out.wall_ratio_slurm_over_local = round(slurmWall / localWall, 3);
    out.target_ratio = 1.3;
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
