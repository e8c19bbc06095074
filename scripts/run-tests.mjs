// Runs every compiled test file (dist/test/**/*.test.js) with node's own test runner.
// Node 20's --test takes no glob patterns, so the file list is built here.
//
// Two guards against a test process that never ends. Node 20 can deadlock when a process's event loop ends while a
// concurrent optimising compile waits for a garbage collection that only the main thread can run (main thread in
// NodePlatform::DrainTasks, the compile job in CollectionBarrier::AwaitCollectionBackground; nodejs/node#54918 is
// the same class of shutdown deadlock). Seen once here, under heavy load: the file's event loop had run out of work and the
// process slept for ever.
// - The test processes optimise on their main thread (--no-concurrent-recompilation, which node --test passes on to
//   each file's process), so no compile job is left to wait.
// - On Linux, a test file's process still alive after PTYCHOSTUDY_TEST_FILE_LIMIT_MIN minutes (default 15; the
//   slowest file takes under 4 on two loaded cores) is named on stderr and killed: that file fails, the others go on, and the run ends.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// The files that take longest start first: the runner starts files in the order given, two at a time, so a long file
// started last would leave one core idle while it ends. Each file's duration in the last full run (2026-12-07, two
// cores, 742 s wall, s): cluster 77, run 70, scans-script 62, run-evidence 61, resume 58, study-report 45, report 27,
// inspect 27, hub-digests 26, precision-study 26, hdf5-types-inputs 24, run-failed-job 24, lsqml 21, full-disk 20,
// accounting 19, config-paths 19, config-file 18 — the other files take under 18 s each, most under 3. Since, resume
// makes its finished hub once instead of three times (its CPU time 21–24 % lower, so about 45 s) and cluster copies
// the local hub of its first test instead of making it again; slurm/cluster, which mostly waits for SLURM, stays first.
const LONGEST_FIRST = [
  'slurm/cluster', 'e2e/run', 'slurm/scans-script', 'e2e/run-evidence', 'report/study-report', 'e2e/resume', 'report/report',
  'cli/inspect', 'study/hub-digests', 'engine/precision-study', 'data/hdf5-types-inputs', 'e2e/run-failed-job', 'slurm/requeue-checkpoint', 'cli/lsqml',
  'files/full-disk', 'slurm/accounting', 'settings/config-paths', 'settings/config-file',
].map((name) => join('dist', 'test', `${name}.test.js`));

const filter = process.argv.slice(2);
let files = collect('dist/test', []);
if (filter.length > 0) files = files.filter((f) => filter.some((s) => f.includes(s)));
const rank = (f) => { const i = LONGEST_FIRST.indexOf(f); return i < 0 ? LONGEST_FIRST.length : i; };
files.sort((a, b) => rank(a) - rank(b)); // stable: the rest keep their alphabetical order
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/test');
  process.exit(1);
}

const limitMin = Number(process.env.PTYCHOSTUDY_TEST_FILE_LIMIT_MIN ?? 15);
if (!(limitMin > 0)) {
  console.error(`run-tests: PTYCHOSTUDY_TEST_FILE_LIMIT_MIN: expected a number of minutes above 0; found ${process.env.PTYCHOSTUDY_TEST_FILE_LIMIT_MIN}`);
  process.exit(2);
}

const runner = spawn(process.execPath, ['--no-concurrent-recompilation', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
// Ctrl-C reaches the runner through the terminal's process group; a SIGTERM sent to this script is passed on
for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => runner.kill(sig));
process.on('SIGINT', () => {}); // the runner has it too, and ends its files

/** The runner's child processes (one per test file running) with their command lines; empty where /proc is absent. */
function testProcesses() {
  const out = [];
  let pids;
  try { pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n)); } catch { return out; }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== runner.pid) continue;
      out.push({ pid: Number(pid), file: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).pop() ?? '?' });
    } catch { /* ended meanwhile */ }
  }
  return out;
}

const firstSeen = new Map(); // pid → ms
const watch = setInterval(() => {
  const now = Date.now();
  const alive = testProcesses();
  for (const pid of firstSeen.keys()) if (!alive.some((p) => p.pid === pid)) firstSeen.delete(pid);
  for (const p of alive) {
    if (!firstSeen.has(p.pid)) firstSeen.set(p.pid, now);
    else if (now - firstSeen.get(p.pid) > limitMin * 60e3) {
      console.error(`run-tests: ${p.file} still running after ${limitMin} minutes (process ${p.pid}); killing it, so that this file fails and the run goes on`);
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* ended meanwhile */ }
      firstSeen.delete(p.pid);
    }
  }
}, 20_000);
watch.unref();

runner.on('exit', (code, signal) => {
  clearInterval(watch);
  process.exit(code ?? (signal ? 1 : 0));
});
