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
import { join, sep } from 'node:path';
import { spawn } from 'node:child_process';

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// The files that take longest start first, in each lane: a runner starts files in the order given, so a long file
// started last would leave a lane idle while it ends. Each file's duration in the last full run with one runner of two
// lanes (2026-12-07, two cores, about 700 s wall, s): slurm/cluster 71.5, e2e/run 57.4, e2e/run-evidence 54.0,
// slurm/accounting 46.2, e2e/resume 36.2, report/study-report 36.2, slurm/requeue-checkpoint 26.9, report/report 25.1,
// study/hub-digests 24.9, cli/inspect 23.7, data/hdf5-types-inputs 22.0, e2e/run-failed-job 20.5,
// engine/precision-study 19.9, files/full-disk 19.0, cli/refusals-agree 17.9, study/evidence-paths 17.5, cli/lsqml 17.2,
// report/reconstruction-report 15.7, settings/config-file 15.0, slurm/scans-script 14.8 — about 100 others under 14 s.
// Run alone on the same machine (load average about 2), the SLURM files spend most of their time waiting: slurm/accounting 28.2 s wall for
// 5.3 CPU-s of its process (slurmctld checks time limits every 30 s), slurm/requeue-checkpoint 44.4 s for 4.4 CPU-s
// (SLURM starts a requeued task again once its credential has expired), slurm/cluster 129 s for 42 CPU-s (its
// tasks' own CPU, under slurmstepd, comes on top). With the SLURM files in their own lane, the whole suite took 1081 s
// wall (1240 tests; 2026-12-07, two cores shared with other work, load average 5.7 at start and end; 1235 CPU-s of
// its processes, SLURM's tasks not counted), the SLURM lane 426 s of it; the one-runner schedule before it took 1429 s
// (load average 3.3 → 8.2), and takes 1294 s on the file times of the three-lane run (their sum 2587 s over two lanes).
// On a quiet machine the suite is bound by CPU and the lanes change little: a clean clone's .ci/run, 2026-12-08, took
// 685 s for 1250 tests (its files' times sum to 1704 s, run three at a time on two cores; slurm/cluster 154 s, the
// SLURM lane 335 s), against 692 s for 1239 tests with one runner before.
const LONGEST_FIRST = [
  'e2e/run', 'e2e/run-evidence', 'e2e/resume', 'report/study-report', 'report/report', 'study/hub-digests', 'cli/inspect',
  'data/hdf5-types-inputs', 'e2e/run-failed-job', 'engine/precision-study', 'files/full-disk', 'cli/refusals-agree',
  'study/evidence-paths', 'cli/lsqml', 'report/reconstruction-report', 'settings/config-file',
  'slurm/cluster', 'slurm/accounting', 'slurm/requeue-checkpoint', 'slurm/scans-script', 'slurm/stop-submission', 'slurm/merge-lock',
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

// Three lanes. Node 20's runner sorts the files it is given by name, whatever their order, so this script starts
// each file itself, in its own `node --test` runner: the files that mostly wait for SLURM (those under
// dist/test/slurm/: sbatch, squeue and scontrol answers, requeue delays, slurmctld's 30-s time-limit check) one at a
// time, in a lane of their own, and the others two at a time beside it, the longest first in each lane, so that a file
// waiting for SLURM does not hold one of the two lanes of CPU-bound work. Each file's TAP output is passed on whole once
// the file has ended, followed by a line with its wall time (`# run-tests: FILE SECONDS s`), as one stream: top-level tests numbered once, one plan, and one summary (# tests, # pass, # fail,
// … summed over the files; # duration_ms of the whole run).
const waitsForSlurm = (f) => f.startsWith(join('dist', 'test', 'slurm') + sep);
const lanes = [
  { files: files.filter((f) => !waitsForSlurm(f)), at: 2 },
  { files: files.filter(waitsForSlurm), at: 1, where: ' under dist/test/slurm/' },
].filter((l) => l.files.length > 0);

const started = Date.now();
const out = (text) => process.stdout.write(`${text}\n`);
const count = (n) => `${n} file${n === 1 ? '' : 's'}`;
out('TAP version 13');
out(`# run-tests: ${lanes.map((l) => `${count(l.files.length)}${l.where ?? ''} ${l.at} at a time`).join(', beside ')}`);

const SUMMARY = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\d+(?:\.\d+)?)$/;
const totals = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
let numbered = 0;

/** Passes on one file's TAP output: its header, plan and summary dropped (the summary added to the totals), its top-level tests numbered on. */
function passOn(tap) {
  const kept = [];
  let planned = false; // the top-level plan has come: the summary follows
  for (const line of tap.split('\n')) {
    if (line === 'TAP version 13' || (line === '' && planned)) continue;
    if (/^1\.\.\d+$/.test(line)) { planned = true; continue; }
    const sum = planned ? SUMMARY.exec(line) : null;
    if (sum !== null) { if (sum[1] !== 'duration_ms') totals[sum[1]] += Number(sum[2]); continue; }
    const result = /^(not ok|ok) \d+(.*)$/.exec(line);
    kept.push(result === null ? line : `${result[1]} ${++numbered}${result[2]}`);
  }
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  if (kept.length > 0) out(kept.join('\n'));
}

const runners = new Set(); // the `node --test` processes running now
let stopping = false;
/** Runs one test file in its own runner; resolves to the runner's exit code. */
function runFile(file) {
  return new Promise((done) => {
    const t0 = Date.now();
    const r = spawn(process.execPath, ['--no-concurrent-recompilation', '--test', '--test-reporter=tap', file], { stdio: ['inherit', 'pipe', 'inherit'] });
    runners.add(r);
    const chunks = [];
    r.stdout.on('data', (c) => chunks.push(c));
    r.on('close', (code, signal) => {
      runners.delete(r);
      passOn(Buffer.concat(chunks).toString('utf8'));
      out(`# run-tests: ${file} ${((Date.now() - t0) / 1000).toFixed(1)} s${signal ? ` (its runner ended by ${signal})` : ''}`); // for LONGEST_FIRST
      done(code ?? (signal ? 1 : 0));
    });
  });
}
const codes = [];
async function lane(queue) {
  while (queue.length > 0 && !stopping) codes.push(await runFile(queue.shift()));
}
// Ctrl-C reaches the runners through the terminal's process group; a SIGTERM sent to this script is passed on. Either
// way no further file starts.
for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => { stopping = true; for (const r of runners) r.kill(sig); });
process.on('SIGINT', () => { stopping = true; });

/** The runners' child processes (one per test file running) with their command lines; empty where /proc is absent. */
function testProcesses() {
  const found = [];
  const parents = new Set([...runners].map((r) => r.pid));
  let pids;
  try { pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n)); } catch { return found; }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!parents.has(ppid)) continue;
      found.push({ pid: Number(pid), file: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).pop() ?? '?' });
    } catch { /* ended meanwhile */ }
  }
  return found;
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

await Promise.all(lanes.flatMap((l) => Array.from({ length: l.at }, () => lane(l.files))));
clearInterval(watch);
const left = lanes.reduce((n, l) => n + l.files.length, 0);
if (stopping) out(`# run-tests: stopped by a signal; ${count(left)} not started`);
out(`1..${numbered}`);
for (const [k, v] of Object.entries(totals)) out(`# ${k} ${v}`);
out(`# duration_ms ${Date.now() - started}`);
process.exitCode = codes.find((c) => c !== 0) ?? (stopping ? 1 : 0);
