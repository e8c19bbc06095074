/**
 * A full disk (or a quota, or a file size limit) in the middle of a command never corrupts evidence: the command
 * ends with one line naming the file it could not write and exit code 1, leaves no temporary file, no half-written
 * result and no lock behind, records what it was doing as failed (never complete), and the same command continues
 * once there is room.
 *
 * The disk is made full for real. As root (CI's `.ci/run` runs the suite as root) each test mounts a small tmpfs
 * and fills it with a file of zeros until the chosen number of bytes is left, so the write fails with ENOSPC at
 * the chosen point. Where mounting is not possible (not root; a container without CAP_SYS_ADMIN) the command runs
 * under `ulimit -f` instead: the kernel then fails the first write past the limit with EFBIG, through the same
 * code. No test seam in the program is needed for either. PTYCHOSTUDY_TEST_NO_MOUNT=1 takes the second way as root.
 * Standard output and error redirected to a full disk are /dev/full, whose every write fails with ENOSPC.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tempDir } from '../tmp.js';
import { writeSyntheticDataset } from '../engine/dataset.js';
import { makeHub } from '../study/compare-hub.js';
import { JOBS_SCHEMA_VERSION, slurmPaths, writeJobs } from '../../src/study/slurm/records.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
/** Whether a tmpfs can be mounted here: root, and (in a container) allowed to mount. Tried once. */
const mayMount = ((): boolean => {
  if (process.getuid?.() !== 0 || process.env.PTYCHOSTUDY_TEST_NO_MOUNT === '1') return false;
  const dir = tempDir('full-disk-mount');
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status !== 0) return false;
  spawnSync('umount', [dir]);
  return true;
})();

/**
 * Runs `fn` with a directory on a fresh tmpfs of `kib` KiB (and at most `inodes` files and folders, its root
 * included) — unmounted afterwards, whatever happens — or with null where none can be mounted.
 */
function withTmpfs(kib: number, fn: (dir: string | null) => void, inodes?: number): void {
  const dir = tempDir('full-disk');
  const options = `size=${kib}k${inodes !== undefined ? `,nr_inodes=${inodes}` : ''}`;
  if (!mayMount || spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status !== 0) {
    fn(null);
    return;
  }
  try {
    fn(dir);
  } finally {
    const u = spawnSync('umount', [dir], { encoding: 'utf8' });
    if (u.status !== 0) spawnSync('umount', ['-l', dir]); // still busy: detach it, never leave it mounted
  }
}

/** Fills the file system of `dir` with a file of zeros (`dir/filler`) until about `free` bytes are left. */
function fillUntil(dir: string, free: number): void {
  const st = statfsSync(dir);
  const avail = st.bavail * st.bsize;
  assert.ok(avail > free, `the tmpfs has ${avail} bytes, fewer than the ${free} to leave`);
  writeFileSync(join(dir, 'filler'), Buffer.alloc(avail - free));
}

/** The CLI, under `ulimit -f` (in KiB) when `limitKib` is given. */
function cli(args: string[], limitKib?: number): { status: number | null; stderr: string } {
  const r = limitKib === undefined
    ? spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
    // POSIX sh counts `ulimit -f` in 512-byte blocks
    : spawnSync('/bin/sh', ['-c', `ulimit -f ${limitKib * 2} && exec "$@"`, 'sh', process.execPath, CLI, ...args],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stderr: String(r.stderr) };
}

/** `cli(args)` with `kib` KiB left to write: the tmpfs `disk` filled to leave that much, or (no tmpfs) a file size limit of it. */
function cliWithRoom(disk: string | null, args: string[], kib: number): { status: number | null; stderr: string } {
  if (disk === null) return cli(args, kib);
  fillUntil(disk, kib * 1024);
  return cli(args);
}

/** Every file and folder under `root` (relative paths, sorted), hidden ones included. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.push(relative(root, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

/** The last line of a command's stderr (progress lines come before it). */
function lastLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  return lines[lines.length - 1]!;
}

const data = tempDir('full-disk-data');
const input = writeSyntheticDataset(join(data, 'data.npz'), { size: 32, height: 80, width: 80, positions: 40, photons: 1e4, poisson: true, seed: 3 }, 2.5).path;
const LSQML = ['--input', input, '--epochs', '2', '--seed', '1'];
/** The same reconstruction with room enough: what a continued run must give, byte for byte. */
const reference = join(data, 'reference');
{
  const r = cli(['lsqml', ...LSQML, '--out', reference]);
  assert.equal(r.status, 0, r.stderr);
}
const refNpz = readFileSync(join(reference, 'reconstruction.npz'));
const refPng = readFileSync(join(reference, 'reconstruction.png'));

test('lsqml: a disk that fills before its figure leaves no reconstruction without it; the same command then finishes', () => {
  // the NPZ (≈ 45 KiB) fits in the 120 KiB left free, the figure (≈ 155 KiB) does not
  assert.ok(refNpz.length < 60_000 && refPng.length > 140_000, `sizes changed: NPZ ${refNpz.length}, PNG ${refPng.length} bytes`);
  withTmpfs(1024, (disk) => {
    const out = join(disk ?? tempDir('full-disk-lsqml'), 'r');
    let r: { status: number | null; stderr: string };
    if (disk !== null) {
      fillUntil(disk, 120 * 1024);
      r = cli(['lsqml', ...LSQML, '--out', out]);
      assert.equal(lastLine(r.stderr), `ptychostudy lsqml: ${out}/reconstruction.png: cannot be written (ENOSPC: no space left on device, write)`);
    } else {
      r = cli(['lsqml', ...LSQML, '--out', out], 100);
      assert.equal(lastLine(r.stderr), `ptychostudy lsqml: ${out}/reconstruction.png: cannot be written (EFBIG: file too large, write)`);
    }
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('ptychostudy')).length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'a stack trace was printed');
    // only the log of the epochs run: no reconstruction without its figure and record, no temporary file, no lock
    assert.deepEqual(listing(out), ['lsqml.log']);

    if (disk !== null) rmSync(join(disk, 'filler')); // room again
    const again = cli(['lsqml', ...LSQML, '--out', out]);
    assert.equal(again.status, 0, again.stderr); // not refused as an existing result (--overwrite)
    assert.ok(readFileSync(join(out, 'reconstruction.npz')).equals(refNpz), 'the continued reconstruction differs');
    assert.ok(readFileSync(join(out, 'reconstruction.png')).equals(refPng), 'the continued figure differs');
  });
});

test('report of an lsqml folder on a full disk: one line naming the lock it could not write; no report folder left', () => {
  withTmpfs(1024, (disk) => {
    const dir = join(disk ?? tempDir('full-disk-report'), 'r');
    const c = cli(['lsqml', ...LSQML, '--out', dir]);
    assert.equal(c.status, 0, c.stderr);
    const r = cliWithRoom(disk, ['report', '--out', dir], 0); // no file may grow at all
    const why = disk !== null ? 'ENOSPC: no space left on device' : 'EFBIG: file too large';
    assert.equal(r.stderr, `ptychostudy report: ${dir}/report/.report.lock: cannot be written (${why}, write)\n`);
    assert.equal(r.status, 1);
    assert.deepEqual(listing(dir), ['lsqml.log', 'reconstruction.npz', 'reconstruction.png', 'reconstruction_run.json']);
  });
});

test('report on a tmpfs out of inodes: the lock\'s link, the image folder and an image are named as themselves, not their temporary names', (t) => {
  if (!mayMount) { t.skip('needs a tmpfs with few inodes, which cannot be mounted here (a file size limit leaves inodes free: the tests above cover it)'); return; }
  // the root, the lsqml folder and its 4 files take 6 inodes; the report/ folder a 7th; then, one more each:
  // the lock's temporary file, its link (tmpfs counts links), the build folder and its img/, its first file
  const expected: [number, string][] = [
    [8, 'report/.report.lock: cannot be written (ENOSPC: no space left on device, link)'],
    [9, 'report/img: cannot be written (ENOSPC: no space left on device, mkdir)'],
    [10, 'report/img/lsqml-settings.json: cannot be written (ENOSPC: no space left on device, open)'], // the first file of img/: the settings the page's rerun command names
  ];
  for (const [inodes, line] of expected) {
    withTmpfs(1024, (disk) => {
      assert.ok(disk !== null, 'the tmpfs could not be mounted');
      const dir = join(disk, 'r');
      mkdirSync(dir);
      for (const f of readdirSync(reference)) writeFileSync(join(dir, f), readFileSync(join(reference, f)), { flag: 'wx' });
      const r = cli(['report', '--out', dir, '--quiet']);
      assert.equal(r.stderr, `ptychostudy report: ${dir}/${line}\n`, `${inodes} inodes`);
      assert.equal(r.status, 1);
      assert.deepEqual(listing(dir), ['lsqml.log', 'reconstruction.npz', 'reconstruction.png', 'reconstruction_run.json']);
    }, inodes);
  }
});

test('run: a disk that fills in Phase C records the phase failed, leaves no temporary file or lock, and says how to go on', () => {
  withTmpfs(4096, (disk) => {
    const hub = join(disk ?? tempDir('full-disk-run'), 'hub');
    const tiny = ['run', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1', '--quiet', '--out', hub];
    // settings.json, design.json and run.json fit; a patched NPZ of Phase C (≈ 750 KiB) does not
    const r = cliWithRoom(disk, tiny, 300);
    assert.equal(r.status, 1, r.stderr);
    const line = /^ptychostudy run: (.*)\/phase_c\/dose_10000\/patched_(train|test)\.npz: cannot be written \((E[A-Z]+): [^)]*\)(.*)\n$/.exec(r.stderr);
    assert.ok(line, `not one line naming the Phase C file: ${r.stderr}`);
    assert.equal(line[1], hub);
    if (disk !== null) {
      assert.equal(line[3], 'ENOSPC');
      assert.equal(line[4], `; make room, then continue with: ptychostudy run --out ${hub}`);
    } else assert.equal(line[3], 'EFBIG');
    const state = JSON.parse(readFileSync(join(hub, 'run.json'), 'utf8')) as { status: string; phases: Record<string, { status: string }> };
    assert.equal(state.status, 'failed');
    assert.equal(state.phases.design?.status, 'complete');
    assert.equal(state.phases.generate?.status, 'failed');
    const files = listing(hub);
    assert.deepEqual(files.filter((f) => /(^|\/)\.tmp|\.lock$/.test(f)), [], 'a temporary file or a lock was left');
    assert.ok(!existsSync(join(hub, 'phase_c', 'run_manifest.json')), 'Phase C recorded as written');
  });
});

test('run: a disk that fills in Phase D records the phase failed and, like Phase C, says how to go on', (t) => {
  // the file size limit fails Phase C's NPZ first (its files are as large as Phase D's): only a filled tmpfs reaches Phase D
  if (!mayMount) { t.skip('needs a tmpfs that Phase C fills to the brim, which cannot be mounted here'); return; }
  withTmpfs(4096, (disk) => {
    assert.ok(disk !== null, 'the tmpfs could not be mounted');
    const hub = join(disk, 'hub');
    // Phase C's two NPZs (≈ 1.5 MiB) and the records fit; Phase D's first NPZ (≈ 750 KiB) does not, its manifest does
    fillUntil(disk, 1650 * 1024);
    const r = cli(['run', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1', '--quiet', '--out', hub]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, `ptychostudy run: overlap views failed for 1 dose(s): dose 10000: ${hub}/phase_d/dose_10000/dense/dense_train.npz: ` +
      `cannot be written (ENOSPC: no space left on device, write); make room, then continue with: ptychostudy run --out ${hub}\n`);
    const state = JSON.parse(readFileSync(join(hub, 'run.json'), 'utf8')) as { status: string; phases: Record<string, { status: string }> };
    assert.equal(state.status, 'failed');
    assert.equal(state.phases.generate?.status, 'complete');
    assert.equal(state.phases.overlap?.status, 'failed');
    assert.deepEqual(listing(hub).filter((f) => /(^|\/)\.tmp|\.lock$/.test(f)), [], 'a temporary file or a lock was left');
  });
});

test('run: a run.json left \'running\' by a run that could not record its end is resumed, and the next run says so', () => {
  withTmpfs(4096, (disk) => {
    const hub = join(disk ?? tempDir('full-disk-unrecorded'), 'hub');
    const tiny = ['run', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1', '--out', hub];
    if (disk !== null) fillUntil(disk, 300 * 1024);
    const first = cli([...tiny, '--quiet'], disk === null ? 300 : undefined);
    assert.equal(first.status, 1, first.stderr);
    // run.json as it stays when the phase's failure cannot be written either: its last whole state
    const path = join(hub, 'run.json');
    const state = JSON.parse(readFileSync(path, 'utf8')) as { status: string; phases: Record<string, { status: string; started: string }> };
    assert.equal(state.phases.generate?.status, 'failed');
    state.status = 'running';
    state.phases.generate = { status: 'running', started: state.phases.generate.started };
    writeFileSync(path, JSON.stringify(state, null, 2) + '\n');

    const again = cli(tiny, disk === null ? 300 : undefined); // still no room: it runs Phase C again and fails as before
    assert.equal(again.status, 1, again.stderr);
    const lines = again.stderr.trimEnd().split('\n').map((l) => l.replace(/^\[\+[0-9:]+\] /, ''));
    assert.equal(lines[0], `hub: ${hub} (resuming; complete: design)`);
    assert.equal(lines[1], '  run.json said \'running\': the run before ended during generate without recording how (it was killed, or run.json ' +
      'could not be written); generate is done again unless its own record shows it finished');
    assert.ok(lines.includes('▶ generate…'), again.stderr);
    assert.match(lastLine(again.stderr), /^ptychostudy run: .*\/phase_c\/dose_10000\/patched_(train|test)\.npz: cannot be written \(E[A-Z]+: /);
    const after = JSON.parse(readFileSync(path, 'utf8')) as { status: string; phases: Record<string, { status: string }> };
    assert.equal(after.status, 'failed');
    assert.equal(after.phases.generate?.status, 'failed');
  });
});

test('compare on a full disk: the failed job names the file as its folder was to hold it, not the staging folder, and leaves no empty job folder', () => {
  withTmpfs(4096, (disk) => {
    const roots = makeHub(join(disk ?? tempDir('full-disk-compare'), 'hub'), { doses: [10000] });
    // the metrics CSVs fit; the aligned reconstructions (≈ 70 KiB) do not
    const args = ['compare', '--phase-c-root', roots.c, '--phase-f-root', roots.f, '--out', roots.g, '--no-charts', '--split', 'train', '--view', 'baseline', '--quiet'];
    const r = cliWithRoom(disk, args, 40);
    assert.equal(r.status, 1, r.stderr);
    const job = join(roots.g, 'dose_10000', 'baseline', 'train');
    const summary = JSON.parse(readFileSync(join(roots.g, 'metrics_summary.json'), 'utf8')) as { rows: { status: string; error?: string }[] };
    assert.equal(summary.rows.length, 1);
    assert.equal(summary.rows[0]!.status, 'failed');
    assert.match(summary.rows[0]!.error ?? '', new RegExp(`^cannot write the job's files in ${job} \\(writing its new files\\): ` +
      `${job}/reconstructions_aligned\\.npz: cannot be written \\((ENOSPC|EFBIG): `));
    assert.deepEqual(listing(roots.g).filter((f) => /(^|\/)\.(tmp|staging)|\.lock$/.test(f)), [], 'a temporary file, staging folder or lock was left');
    assert.ok(!existsSync(join(roots.g, 'dose_10000')), 'the job\'s folder (and its dose and view folders) was left empty');
  });
});

test('stdout to a full disk: the command goes on, then ends with exit code 1 and one line saying its output is incomplete', () => {
  const full = openSync('/dev/full', 'w'); // every write fails with ENOSPC, as a file on a full disk
  try {
    const r = spawnSync(process.execPath, [CLI, 'config', '--print-defaults'], { encoding: 'utf8', stdio: ['ignore', full, 'pipe'] });
    assert.equal(r.stderr, 'ptychostudy: standard output cannot be written (ENOSPC: no space left on device, write): what the command printed there is incomplete\n');
    assert.equal(r.status, 1);
  } finally {
    closeSync(full);
  }
});

test('stderr to a full disk (`2> log`): the progress lines are dropped and the command does its work to the end', () => {
  const full = openSync('/dev/full', 'w');
  try {
    const out = join(tempDir('full-disk-stderr'), 'c');
    const r = spawnSync(process.execPath, [CLI, 'generate', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--out', out],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', full] });
    assert.equal(r.status, 0);
    assert.ok(existsSync(join(out, 'run_manifest.json')), 'Phase C was not recorded');
    assert.deepEqual(listing(out).filter((f) => /(^|\/)\.tmp|\.lock$/.test(f)), []);
  } finally {
    closeSync(full);
  }
});

test('compare on a disk too full for its run\'s lock: one line naming it, and no empty run folder left', () => {
  withTmpfs(4096, (disk) => {
    const roots = makeHub(join(disk ?? tempDir('full-disk-compare-run'), 'hub'), { doses: [10000] });
    const args = ['compare', '--phase-c-root', roots.c, '--phase-f-root', roots.f, '--out', roots.g, '--no-charts', '--split', 'train', '--view', 'baseline', '--quiet'];
    const r = cliWithRoom(disk, args, 0);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^ptychostudy compare: ${roots.g}/\\.running-[0-9TZ]+-baseline-train\\.lock: cannot be written \\((ENOSPC|EFBIG): [^)]*\\)\\n$`));
    assert.deepEqual(existsSync(roots.g) ? listing(roots.g) : [], []);
  });
});

test('run: Ctrl-C while the disk is full still says what was kept and how to continue, and that run.json says \'running\'', async (t) => {
  if (!mayMount) { t.skip('needs a tmpfs filled while the run computes, which cannot be mounted here'); return; }
  const dir = tempDir('full-disk-stop');
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8192k', 'tmpfs', dir]).status !== 0) { t.skip('the tmpfs could not be mounted'); return; }
  try {
    const hub = join(dir, 'hub');
    const child = spawn(process.execPath, [CLI, 'run', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '100000', '--jobs', '1', '--out', hub],
      { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    await new Promise<void>((res) => {
      child.stderr.on('data', (d: Buffer) => {
        const before = stderr;
        stderr += d.toString();
        if (!before.includes('[1/6] start') && stderr.includes('[1/6] start')) res(); // Phase F computes its first job
      });
      child.on('close', () => res()); // ended before: failed below, never a hang
    });
    assert.ok(stderr.includes('[1/6] start') && child.exitCode === null, `the run ended before Phase F: ${stderr}`);
    fillUntil(dir, 0);
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(lastLine(stderr), new RegExp(`^ptychostudy run: interrupted; finished work is kept \\(${hub}/run\\.json: cannot be written ` +
      `\\(ENOSPC: no space left on device, (write|open)\\): it still says 'running'\\)\\. Continue with: ptychostudy run --out ${hub}$`));
    assert.equal((JSON.parse(readFileSync(join(hub, 'run.json'), 'utf8')) as { status: string }).status, 'running');
  } finally {
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
  }
});

test('generate --overwrite on a tmpfs out of inodes: the file whose earlier version could not be moved to history/ is named, and kept', (t) => {
  if (!mayMount) { t.skip('needs a tmpfs with few inodes, which cannot be mounted here'); return; }
  // the root, c/, dose_10000/, its two NPZs and run_manifest.json take 6 inodes; the next file's temporary one a 7th, history/ an 8th
  withTmpfs(8192, (disk) => {
    assert.ok(disk !== null, 'the tmpfs could not be mounted');
    const out = join(disk, 'c');
    const gen = ['generate', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--out', out];
    assert.equal(cli(gen).status, 0);
    const before = readFileSync(join(out, 'dose_10000', 'patched_train.npz'));
    const r = cli([...gen, '--seed', '7', '--overwrite']); // other bytes: the earlier files go to history/ first
    assert.equal(r.status, 1, r.stderr);
    assert.equal(lastLine(r.stderr), `ptychostudy generate: ${out}/dose_10000/patched_train.npz: cannot be written ` +
      `(ENOSPC: no space left on device, mkdir '${out}/history')`);
    assert.ok(readFileSync(join(out, 'dose_10000', 'patched_train.npz')).equals(before), 'the earlier file was not kept');
    assert.deepEqual(listing(out).filter((f) => /(^|\/)\.tmp|\.lock$/.test(f)), []);
  }, 8);
});

test('compare whose merge a full disk refuses: its one line says its rows are kept in its run\'s snapshot and that compare again merges them', (t) => {
  // a file size limit refuses the jobs' files before the summary: only a filled tmpfs reaches the merge
  if (!mayMount) { t.skip('needs a tmpfs that the jobs and the snapshot fill to the brim, which cannot be mounted here'); return; }
  withTmpfs(8192, (disk) => {
    assert.ok(disk !== null, 'the tmpfs could not be mounted');
    const compare = (g: { c: string; f: string; g: string }): { status: number | null; stderr: string } =>
      cli(['compare', '--phase-c-root', g.c, '--phase-f-root', g.f, '--out', g.g, '--no-charts', '--split', 'train', '--view', 'baseline', '--quiet']);
    const roots = makeHub(join(disk, 'hub'), { doses: [10000] });
    const summary = join(roots.g, 'metrics_summary.json');
    // the same comparison in a twin hub, with room: what it keeps, less its merged summary (its .json, .md and
    // .csv), plus a page for the run's lock (held until its merge has ended) and one for the merge lock, is what is
    // left: the jobs' files, the run's snapshot and both locks fit, and the merged summary does not
    const twin = makeHub(join(disk, 'twin'), { doses: [10000] });
    const avail = (): number => { const st = statfsSync(disk); return st.bavail * st.bsize; };
    const before = avail();
    assert.equal(compare(twin).status, 0);
    const pages = (f: string): number => Math.ceil(statSync(join(twin.g, f)).size / 4096) * 4096;
    fillUntil(disk, before - avail() + 2 * 4096 - pages('metrics_summary.json') - pages('metrics_summary.md') - pages('metrics_summary.csv'));
    const r = compare(roots);
    assert.equal(r.status, 1, r.stderr);
    const runs = readdirSync(join(roots.g, 'runs'));
    assert.equal(runs.length, 1);
    const snapshot = join(roots.g, 'runs', runs[0]!, 'metrics_summary.json');
    assert.equal(r.stderr, `ptychostudy compare: ${summary}: cannot be written (ENOSPC: no space left on device, write); ` +
      `this run's rows are kept in ${snapshot} but were not merged into ${summary}; make room, then compare again to merge them\n`);
    const kept = JSON.parse(readFileSync(snapshot, 'utf8')) as { rows: { status: string; metrics: unknown }[] };
    assert.deepEqual(kept.rows.map((x) => x.status), ['ok']);
    assert.ok(!existsSync(summary), 'a summary was written');
    rmSync(join(disk, 'filler')); // room again: comparing again merges them
    assert.equal(compare(roots).status, 0);
    const merged = JSON.parse(readFileSync(summary, 'utf8')) as { rows: { status: string; metrics: unknown; history: { run_id: string; metrics: unknown }[] }[]; runs: { run_id: string }[] };
    assert.deepEqual(merged.rows.map((x) => x.metrics), kept.rows.map((x) => x.metrics));
    // the stopped run's own record and rows are merged too: its rows are the history of those compared again
    assert.equal(merged.runs.length, 2);
    assert.equal(merged.runs[0]!.run_id, runs[0]);
    assert.deepEqual(merged.rows.map((x) => x.history.map((h) => [h.run_id, h.metrics])), kept.rows.map((x) => [[runs[0], x.metrics]]));
  });
});

test('generate --overwrite on a tmpfs out of inodes after history/ was made: no empty history folder is left, the earlier file is kept', (t) => {
  if (!mayMount) { t.skip('needs a tmpfs with few inodes, which cannot be mounted here'); return; }
  // as above, history/ now fits (the 8th inode); its replaced-<time>/ (9 inodes), or the copy of run_manifest.json in it (10), does not
  for (const [inodes, what] of [[9, 'mkdir'], [10, 'open']] as const) {
    withTmpfs(8192, (disk) => {
      assert.ok(disk !== null, 'the tmpfs could not be mounted');
      const out = join(disk, 'c');
      const gen = ['generate', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--out', out];
      assert.equal(cli(gen).status, 0);
      const before = listing(out);
      const kept = readFileSync(join(out, 'dose_10000', 'patched_train.npz'));
      const r = cli([...gen, '--seed', '7', '--overwrite']);
      assert.equal(r.status, 1, r.stderr);
      assert.match(lastLine(r.stderr), new RegExp(`^ptychostudy generate: ${out}/dose_10000/patched_train\\.npz: cannot be written ` +
        `\\(ENOSPC: no space left on device, ${what}`), `${inodes} inodes`);
      assert.deepEqual(listing(out), before, `${inodes} inodes`);
      assert.ok(readFileSync(join(out, 'dose_10000', 'patched_train.npz')).equals(kept), 'the earlier file was not kept');
    }, inodes);
  }
});

test('overlap on a full disk keeps the whole views of the failed dose, and reconstruct refuses them as the manifest records the dose failed', () => {
  withTmpfs(8192, (disk) => {
    const base = disk ?? tempDir('full-disk-overlap');
    const c = join(base, 'c'), d = join(base, 'd');
    assert.equal(cli(['generate', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--out', c]).status, 0);
    // the dense view's first NPZ (≈ 750 KiB) fits, its second does not
    const overlap = ['overlap', '--phase-c-root', c, '--out', d];
    const r = cliWithRoom(disk, overlap, 1000);
    assert.equal(r.status, 1, r.stderr);
    const manifest = JSON.parse(readFileSync(join(d, 'overlap_manifest.json'), 'utf8')) as { doses: Record<string, { status: string }> };
    assert.equal(manifest.doses['dose_10000']?.status, 'failed');
    const kept = join(d, 'dose_10000', 'dense', 'dense_train.npz');
    assert.ok(existsSync(kept), 'the whole view file written before the failure is not kept');
    // a reconstruction never takes it for a finished Phase D result
    const f = cli(['reconstruct', '--phase-c-root', c, '--phase-d-root', d, '--out', join(base, 'f'), '--dose', '1e4', '--view', 'dense', '--split', 'train', '--allow-missing-phase-d', '--dry-run']);
    assert.equal(f.status, 2, f.stderr);
    assert.match(f.stderr, new RegExp(`^ptychostudy reconstruct: ${kept}: expected a view overlap_manifest\\.json records; found a file of dose_10000, ` +
      `which it records as failed \\(.*\\) — nothing was written; make the dose again \\(\`ptychostudy overlap … --dose 10000 --overwrite\`\\), then read its views\\n$`));
  });
});

test('status on a full disk: the jobs are shown as their records have them, then one line naming the lock it could not write, exit 1; with room it finishes the submission', (t) => {
  // a file size limit does not stop a lock (a page of its own): only a filled tmpfs reaches it
  if (!mayMount) { t.skip('needs a tmpfs filled to the brim, which cannot be mounted here'); return; }
  withTmpfs(1024, (disk) => {
    assert.ok(disk !== null, 'the tmpfs could not be mounted');
    // a `generate` submission none of whose jobs reached the queue, never finished: `status` finishes it
    const home = join(disk, 'c');
    writeJobs(home, {
      schema_version: JOBS_SCHEMA_VERSION, tool: 'ptychostudy', submissions: [{
        number: 1, submitted_at: '2026-12-05T00:00:00Z', command: 'generate', argv: ['generate'], version: '0', node: process.execPath,
        entry: CLI, cwd: disk, hub: null, settings: {}, steps: [], cancelled: [], rejected: null,
      }],
    });
    const before = listing(home);
    fillUntil(disk, 0);
    const r = spawnSync(process.execPath, [CLI, 'status', '--out', home], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, new RegExp(`^${home}: submission 1 of 1 \\(generate, 2026-12-05T00:00:00Z\\) — every job has ended\n`));
    assert.equal(r.stderr, `ptychostudy status: the results of the ended jobs cannot be merged yet: ${home}/slurm/.lock: cannot be written ` +
      `(ENOSPC: no space left on device, write); make room, then run ptychostudy status --out ${home} again\n`);
    assert.deepEqual(listing(home), before, 'a lock, a temporary file or a finish record was left');
    rmSync(join(disk, 'filler'));
    const again = spawnSync(process.execPath, [CLI, 'status', '--out', home], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stderr, '');
    assert.match(again.stdout, /— finished, exit code 0\n/);
    assert.ok(existsSync(slurmPaths(home).finish(1)), 'no finish record');
  });
});

test('reconstruct on a disk too full for its first merged record leaves no empty run folder; the next run then runs the job', (t) => {
  // a file size limit does not stop a skip summary of a few KiB: only a filled tmpfs reaches it
  if (!mayMount) { t.skip('needs a tmpfs filled to the brim, which cannot be mounted here'); return; }
  withTmpfs(8192, (disk) => {
    assert.ok(disk !== null, 'the tmpfs could not be mounted');
    const c = join(disk, 'c'), f = join(disk, 'f');
    assert.equal(cli(['generate', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--out', c]).status, 0);
    const args = ['reconstruct', '--phase-c-root', c, '--phase-d-root', join(disk, 'd'), '--allow-missing-phase-d', '--out', f,
      '--view', 'baseline', '--split', 'train', '--epochs', '2'];
    fillUntil(disk, 4096); // a page for the root's lock, none for the skip summary
    const r = cli(args);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(lastLine(r.stderr), `ptychostudy reconstruct: ${f}/skip_summary.json: cannot be written (ENOSPC: no space left on device, write)`);
    assert.deepEqual(listing(f), [], 'a run folder, a lock or a temporary file was left');
    rmSync(join(disk, 'filler'));
    const again = cli(args);
    assert.equal(again.status, 0, again.stderr);
    const runs = readdirSync(join(f, 'runs'));
    assert.equal(runs.length, 1);
    const manifest = JSON.parse(readFileSync(join(f, 'reconstruction_manifest.json'), 'utf8')) as { runs: { run_id: string }[] };
    assert.deepEqual(manifest.runs.map((x) => x.run_id), runs);
  });
});
