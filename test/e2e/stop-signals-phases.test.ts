/**
 * Stopping `generate`, `overlap` and `compare`: Ctrl-C (SIGINT) and SIGTERM end them with 130 / 143 and a message
 * naming what finished and was kept — files that are whole — and the command that finishes the work; a signal
 * during start-up, before a command has a handler of its own, ends the process with 143 and one line.
 * Each child is signalled the moment its stderr shows the line (not on a poll), so the work is still under way.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import { runSimulation } from '../../src/study/simulate/phase.js';
import { loadNpz } from '../../src/npy/npz.js';
import { makeHub } from '../study/compare-hub.js';
import { tempDir } from '../tmp.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

/** Runs the CLI in `cwd`; sends `signal` as soon as stderr matches `when` (never, when null). */
function stopWhen(cwd: string, args: string[], when: RegExp | null, signal: NodeJS.Signals, nodeArgs: string[] = []):
  Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let text = '';
    let sent = false;
    child.stderr!.on('data', (b: Buffer) => {
      text += b.toString();
      if (!sent && when !== null && when.test(text)) { sent = true; child.kill(signal); }
    });
    child.on('close', (code) => resolve({ code, stderr: text }));
  });
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

let root = '';
before(async () => {
  root = tempDir('stop-phases');
  // the quick preset's 1000 positions at three doses: long enough (about a second of work) to be stopped halfway
  await runSimulation(parseStudySettings({ preset: 'quick' }), { outputRoot: join(root, 'c'), timestamp: null });
});

test('generate: SIGINT after a dose ends with 130, keeps that dose whole and recorded, names every file written and the command that finishes', async () => {
  const args = ['generate', '--out', 'c2'];
  const r = await stopWhen(root, args, /complete for dose=1000 /, 'SIGINT');
  assert.equal(r.code, 130, r.stderr);
  const m = /\nptychostudy generate: interrupted; in c2: doses? ([\d, ]+) complete \(patched_train\.npz and patched_test\.npz, recorded in run_manifest\.json\)(?:; also written, not recorded: ([^.]*(?:\.npz[^.]*)*))?\. No file is partial \(each is written under a temporary name, then renamed\)\. Finish with: ptychostudy generate --out c2 --overwrite \(it simulates every dose again; a file that comes out the same is left as it is\)\n$/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const complete = m[1]!.split(', ').map(Number);
  assert.ok(complete.includes(1000) && complete.length < 3, r.stderr);
  const manifest = JSON.parse(readFileSync(join(root, 'c2', 'run_manifest.json'), 'utf8')) as Record<string, { train_sha256?: string; test_sha256?: string }>;
  assert.deepEqual(Object.keys(manifest).filter((k) => k.startsWith('dose_')), complete.map((d) => `dose_${d}`));
  for (const d of complete) {
    for (const split of ['train', 'test'] as const) {
      const f = join(root, 'c2', `dose_${d}`, `patched_${split}.npz`);
      assert.equal(sha256(f), manifest[`dose_${d}`]![`${split}_sha256`], `${f} is whole and the one recorded`);
      assert.equal(sha256(f), sha256(join(root, 'c', `dose_${d}`, `patched_${split}.npz`)), 'the same bytes as an uninterrupted run');
    }
  }
  for (const f of (m[2] ?? '').split(', ').filter(Boolean)) assert.ok(loadNpz(join(root, f)).diffraction, `${f} is a whole NPZ`);
  assert.ok(!existsSync(join(root, 'c2', '.generate.lock')), 'the lock is released');
});

test('overlap: SIGTERM after a view ends with 143, keeps the views it names whole, and names the command that starts over', async () => {
  const args = ['overlap', '--phase-c-root', 'c', '--out', 'd'];
  const r = await stopWhen(root, args, /dense train: kept/, 'SIGTERM');
  assert.equal(r.code, 143, r.stderr);
  const m = new RegExp(`\\nptychostudy overlap: terminated \\(SIGTERM\\); (\\d+) of 12 view files written in d \\(([^)]*)\\), none partial \\(each file is written ` +
    'under a temporary name, then renamed\\); overlap_manifest\\.json is written at the end, so it does not record them\\. ' +
    `Start again with: ${escape('ptychostudy overlap --phase-c-root c --out d --overwrite')} \\(a file that comes out the same is left as it is\\)\\n$`).exec(r.stderr);
  assert.ok(m, r.stderr);
  const named = m[2]!.split(', ');
  assert.equal(named.length, Number(m[1]));
  assert.ok(named.length >= 1 && named.length < 12 && named[0] === 'dose_1000/dense train', r.stderr);
  for (const v of named) {
    const [dir, split] = v.split(' ');
    const view = dir!.split('/')[1]!;
    assert.ok(loadNpz(join(root, 'd', dir!, `${view}_${split}.npz`)).xcoords, `${v}: a whole NPZ`);
    JSON.parse(readFileSync(join(root, 'd', dir!, `${split}_metrics.json`), 'utf8'));
  }
  assert.ok(!existsSync(join(root, 'd', 'overlap_manifest.json')));
  assert.ok(!existsSync(join(root, 'd', '.overlap.lock')), 'the lock is released');
});

// --jobs 1: the handler runs between two jobs of this thread; --jobs 2: it lets the jobs under way in the worker threads
// write their files first, and counts them. With two threads the first line may come from any job, and the other thread
// may have finished several by the time it comes: 14 jobs then, the signal at the first line, so that some are left
for (const atOnce of ['1', '2']) {
test(`compare --jobs ${atOnce}: SIGTERM after a job ends with 143, keeps the finished jobs' files, leaves the summary alone and names the command, which reuses them`, async () => {
  const doses = atOnce === '1' ? [1000, 10000, 100000] : [1000, 2000, 5000, 10000, 20000, 50000, 100000];
  const total = 2 * doses.length;
  const hub = makeHub(join(root, `hub-${atOnce}`), { doses });
  const args = ['compare', '--phase-c-root', hub.c, '--phase-f-root', hub.f, '--out', hub.g, '--view', 'baseline', '--no-figures', '--jobs', atOnce];
  const r = await stopWhen(root, args, atOnce === '1' ? /\[1\/6\]/ : new RegExp(`\\[\\d+/${total}\\] dose_`), 'SIGTERM');
  assert.equal(r.code, 143, r.stderr);
  const m = new RegExp(`\\nptychostudy compare: terminated \\(SIGTERM\\); (\\d+) of ${total} jobs done \\(a compared job's files are in ${escape(hub.g)}/dose_<D>/<view>/<split>/, ` +
    'none partial\\); metrics_summary\\.json is not changed \\(a run merges its rows into it once every job is done\\)\\. ' +
    `Compare again with: ${escape(`ptychostudy ${args.join(' ')}`)} \\(it reuses the finished jobs whose inputs, settings and files are unchanged ` +
    'and compares the others; a job\'s earlier files move to its history/\\)\\n$').exec(r.stderr);
  assert.ok(m, r.stderr);
  const done = Number(m[1]);
  assert.ok(done >= 1 && done < total, r.stderr);
  // the jobs are started in order and each started one finishes: those done are the first ones
  const jobs = doses.flatMap((d) => ['train', 'test'].map((s) => join(hub.g, `dose_${d}`, 'baseline', s)));
  jobs.forEach((dir, i) => {
    assert.equal(existsSync(join(dir, 'comparison.json')), i < done, dir);
    if (i < done) assert.ok(loadNpz(join(dir, 'reconstructions_aligned.npz')), `${dir}: a whole NPZ`);
  });
  // nothing of a job under way (computed, its arrays deflating, when the signal came): no staging folder, no file
  const left = (readdirSync(hub.g, { recursive: true }) as string[]).filter((f) => f.includes('.staging-'));
  assert.deepEqual(left, [], 'no staging folder is left');
  assert.ok(!existsSync(join(hub.g, 'metrics_summary.json')));
  // the run folder it reserved holds nothing (its snapshot comes once every job is done): it is not left behind,
  // nor is runs/, which this run created
  assert.ok(!existsSync(join(hub.g, 'runs')), `${hub.g}/runs: ${existsSync(join(hub.g, 'runs')) ? readdirSync(join(hub.g, 'runs')).join(', ') : ''}`);
  // the command it names finishes the run: the finished jobs are taken over, not compared again
  const stopped = (JSON.parse(readFileSync(join(jobs[0]!, 'comparison.json'), 'utf8')) as { run_id: string }).run_id;
  const again = spawnSync(process.execPath, [CLI, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`^compared ${total} job\\(s\\) \\(${done} reused from the stopped run ${escape(stopped)}\\), 0 comparison\\(s\\) failed`), again.stdout);
  assert.match(again.stderr, new RegExp(`^\\[1/${total}\\] dose_1000/baseline/train: reused from the stopped run ${escape(stopped)} — `, 'm'));
});
}

test('a SIGTERM during start-up, before the command has a handler of its own, ends with 143 and one line naming the command and how to start it again; nothing is written', async () => {
  const dir = tempDir('stop-start-up');
  // sends SIGTERM the moment the program installs its first handler (the start-up one), before any command runs
  const hook = join(dir, 'term-at-first-handler.mjs');
  writeFileSync(hook, "const t = setInterval(() => { if (process.listenerCount('SIGTERM') > 0) { clearInterval(t); process.kill(process.pid, 'SIGTERM'); } }, 0);\nt.unref();\n");
  const r = await stopWhen(dir, ['generate', '--out', 'c'], null, 'SIGTERM', ['--import', hook]);
  assert.equal(r.code, 143, r.stderr);
  assert.equal(r.stderr, 'ptychostudy generate: terminated (SIGTERM) while starting, before its work began. Start again with: ptychostudy generate --out c\n');
  assert.ok(!existsSync(join(dir, 'c')), 'nothing written');
});

test('a SIGINT while the program is still being loaded (before commander is resolved) ends with 130 and one line naming the command, not by the signal', async () => {
  const dir = tempDir('stop-loading');
  // a module hook that sends SIGINT when the program's modules ask for commander: before the fix, main.ts's static
  // imports made Node.js load them all before the start-up handler was installed, so the signal killed the process
  const hook = join(dir, 'int-at-commander.mjs');
  const resolveHook = "export async function resolve(s, c, next) { if (s === 'commander') process.kill(process.pid, 'SIGINT'); return next(s, c); }";
  writeFileSync(hook, `import { register } from 'node:module';\nregister(${JSON.stringify('data:text/javascript,' + encodeURIComponent(resolveHook))});\n`);
  const r = spawnSync(process.execPath, ['--import', hook, CLI, 'generate', '--out', 'c'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.signal, null, 'ended by its handler, not by the signal');
  assert.equal(r.status, 130, r.stderr);
  assert.equal(r.stderr, 'ptychostudy generate: interrupted while starting, before its work began. Start again with: ptychostudy generate --out c\n');
  // without a command, the stop alone
  const bare = spawnSync(process.execPath, ['--import', hook, CLI, '--help'], { cwd: dir, encoding: 'utf8' });
  assert.equal(bare.status, 130, bare.stderr);
  assert.equal(bare.stderr, 'ptychostudy: interrupted\n');
  assert.ok(!existsSync(join(dir, 'c')), 'nothing written');
});
