/**
 * Stopping long work: Ctrl-C (SIGINT) and SIGTERM (`kill`, a scheduler's time limit) during `run` and
 * `reconstruct` print what was kept and the command that continues, and end with 130 (SIGINT) or 143
 * (SIGTERM), as a shell reports a process those signals end; SIGHUP (a dropped SSH connection) stops the
 * same way with 129, its records written though nothing it prints arrives.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import { runSimulation } from '../../src/study/simulate/phase.js';
import { runOverlap } from '../../src/study/overlap/phase.js';
import { waitFor } from './child.js';
import { tempDir } from '../tmp.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

function start(cwd: string, args: string[]): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let text = '';
  child.stderr!.on('data', (b: Buffer) => { text += b.toString(); });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stderr: () => text, exit };
}

let root = '';
before(async () => {
  root = tempDir('stop');
  const settings = parseStudySettings({ preset: 'quick', simulation: { nPositions: 40, doses: [1000] } });
  await runSimulation(settings, { outputRoot: join(root, 'phase_c'), timestamp: null });
  await runOverlap(settings, { phaseCRoot: join(root, 'phase_c'), outputRoot: join(root, 'phase_d') });
});

test('run: SIGTERM during the reconstructions ends with 143, says so, and names the command that continues', { timeout: 300_000 }, async () => {
  const cwd = tempDir('stop-run');
  const p = start(cwd, ['run', '--preset', 'quick', '--n-images', '40', '--epochs', '200', '--dose', '1000', '--jobs', '1', '--out', 'hub']);
  await waitFor(() => p.stderr().includes('[1/6] start'), p.child, 240_000);
  p.child.kill('SIGTERM');
  assert.equal(await p.exit, 143, p.stderr());
  assert.match(p.stderr(), /\nptychostudy run: terminated \(SIGTERM\); finished work is kept\. Continue with: ptychostudy run --out hub\n$/);
  assert.equal((JSON.parse(readFileSync(join(cwd, 'hub', 'run.json'), 'utf8')) as { status: string }).status, 'interrupted');
});

test('run: SIGHUP (the terminal closed, so nothing the command prints arrives) ends with 129, run.json says interrupted, no lock is left',
  { timeout: 300_000 }, async () => {
  const cwd = tempDir('hup-run');
  const p = start(cwd, ['run', '--preset', 'quick', '--n-images', '40', '--epochs', '200', '--dose', '1000', '--jobs', '1', '--out', 'hub']);
  await waitFor(() => p.stderr().includes('[1/6] start'), p.child, 240_000);
  // as after a hang-up: every later write fails (here EPIPE), the stop's own message too
  p.child.stderr!.destroy();
  p.child.kill('SIGHUP');
  assert.equal(await p.exit, 129, p.stderr());
  assert.equal((JSON.parse(readFileSync(join(cwd, 'hub', 'run.json'), 'utf8')) as { status: string }).status, 'interrupted');
  assert.deepEqual(readdirSync(join(cwd, 'hub')).filter((n) => n.includes('lock')), []);
  assert.deepEqual(readdirSync(join(cwd, 'hub', 'phase_f')).filter((n) => n.includes('lock')), []);
});

for (const [signal, code, word] of [['SIGINT', 130, 'interrupted'], ['SIGTERM', 143, 'terminated \\(SIGTERM\\)']] as const) {
  test(`reconstruct: ${signal} after a finished job ends with ${code}, keeps the job and names the command that continues`, { timeout: 300_000 }, async () => {
    const out = join(root, `f-${signal}`);
    const args = ['reconstruct', '--phase-c-root', 'phase_c', '--phase-d-root', 'phase_d', '--doses', '1000', '--out', out,
      '--epochs', '100', '--jobs', '1', '--force'];
    const p = start(root, args);
    await waitFor(() => /\[1\/6\] dose=\S+ view=\S+ split=\S+ done/.test(p.stderr()), p.child, 240_000);
    p.child.kill(signal);
    assert.equal(await p.exit, code, p.stderr());
    const continueWith = `ptychostudy ${args.filter((a) => a !== '--force').join(' ')}`;
    assert.match(p.stderr(), new RegExp(`\\nptychostudy reconstruct: ${word}; \\d+ finished jobs? kept in ${out} \\(the jobs that were running continue from the epoch they reached\\)\\. ` +
      `Continue with: ${continueWith.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n$`));
    assert.ok(existsSync(join(out, 'dose_1000', 'baseline', 'train', 'reconstruction.npz')), 'the finished job is kept');
  });
}
