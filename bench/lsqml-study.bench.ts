/**
 * A whole study end to end (`npm run bench -- lsqml-study`, opt-in: about 10 minutes and 2 GB):
 * `ptychostudy run --preset fly64` into a fresh temporary hub, timed with /usr/bin/time (wall, user and
 * system CPU of the process and its worker threads, peak resident memory), with the phase breakdown
 * from the hub's run.json, the reconstruction jobs' seconds from the Phase F manifest and the 1-minute
 * load average before and after (other work on the machine stretches the wall time; CPU seconds much
 * less). `npm run bench -- lsqml-study --preset quick` runs the quick study instead. The hub is
 * deleted afterwards. Without `lsqml-study` among the arguments this module reports that it skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export async function run(): Promise<Record<string, unknown>> {
  const argv = process.argv.slice(2);
  if (!argv.includes('lsqml-study')) return { skipped: 'opt-in: npm run bench -- lsqml-study [--preset quick|fly64] (the fly64 study takes ~10 min)' };
  const at = argv.indexOf('--preset');
  const preset = at >= 0 && argv[at + 1] ? argv[at + 1]! : 'fly64';
  const root = mkdtempSync(join(os.tmpdir(), `ptychostudy-bench-${preset}-`));
  const hub = join(root, 'hub');
  const load0 = os.loadavg();
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const args = [CLI, 'run', '--preset', preset, '--out', hub, '--quiet'];
  process.stderr.write(`bench lsqml-study: ptychostudy run --preset ${preset} --out ${hub}…\n`);
  const t0 = Date.now();
  const r = timeBin
    ? spawnSync(timeBin, ['-f', 'TIME %e %U %S %M', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (Date.now() - t0) / 1000;
  const out: Record<string, unknown> = { preset, exit_status: r.status, wall_s: +wall.toFixed(1) };
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  if (m) {
    out.user_cpu_s = +m[2]!; out.system_cpu_s = +m[3]!; out.cpu_s = +(+m[2]! + +m[3]!).toFixed(1);
    out.peak_rss_mb = Math.round(+m[4]! / 1024);
  }
  out.load_average_1min = [+load0[0]!.toFixed(2), +os.loadavg()[0]!.toFixed(2)];
  try {
    const state = JSON.parse(readFileSync(join(hub, 'run.json'), 'utf8')) as { phases: Record<string, { seconds?: number; detail?: string }> };
    out.phases_s = Object.fromEntries(Object.entries(state.phases).map(([k, v]) => [k, v.seconds ?? null]));
    out.phase_details = Object.fromEntries(Object.entries(state.phases).map(([k, v]) => [k, v.detail ?? null]));
    const man = JSON.parse(readFileSync(join(hub, 'phase_f', 'reconstruction_manifest.json'), 'utf8')) as {
      execution_results: { dose: number; view: string; split: string; seconds: number; n_positions: number | null; epochs_run: number | null }[];
    };
    out.jobs = man.execution_results.map((j) => ({ job: `${j.dose}/${j.view}/${j.split}`, positions: j.n_positions, epochs: j.epochs_run, seconds: j.seconds }));
  } catch (err) {
    out.error = `${err instanceof Error ? err.message : String(err)}; stderr: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`;
  }
  rmSync(root, { recursive: true, force: true });
  return out;
}
