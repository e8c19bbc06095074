/**
 * `ptychostudy lsqml` checkpoints: a run stopped by SIGTERM keeps its state in <out>/lsqml-checkpoint.npz, and the
 * same command (here with another epoch count, which a checkpoint allows) continues from it to the very bytes of
 * an uninterrupted run's reconstruction.npz; a checkpoint of another run, a truncated one, one of a newer format and
 * one past the epochs asked for are refused in one line (exit 2), nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import type { NdArray } from '../../src/npy/types.js';
import { readMetadata, metadataArray } from '../../src/data/metadata.js';
import { waitFor } from '../e2e/child.js';
import { tempDir } from '../tmp.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const INPUT = join(process.cwd(), 'test', 'fixtures', 'cxi', 'scan.cxi');
const root = tempDir('lsqml-checkpoint');
const lsqml = (out: string, ...more: string[]) =>
  spawnSync(process.execPath, [CLI, 'lsqml', '--input', INPUT, '--out', out, '--checkpoint-every', '2', ...more], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

/** Every entry under `dir` with its size (and a file's bytes), to show that a refused run changed nothing. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((p) => {
    const full = join(dir, p), st = statSync(full);
    return st.isFile() ? `${p} ${readFileSync(full).toString('base64')}` : `${p}/`;
  });
}

/** A run of 5000 epochs (with `flags`) stopped by SIGTERM once its first checkpoint is there: its folder and the epochs it finished. */
async function stoppedRun(name: string, flags: string[] = []): Promise<{ out: string; k: number }> {
  const out = join(root, name);
  const child = spawn(process.execPath, [CLI, 'lsqml', '--input', INPUT, '--out', out, '--epochs', '5000', '--checkpoint-every', '2', ...flags],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exit = new Promise<number | null>((done) => child.on('close', (c) => done(c)));
  await waitFor(() => existsSync(join(out, 'lsqml-checkpoint.npz')), child, 30_000);
  child.kill('SIGTERM');
  assert.equal(await exit, 143, stderr);
  const k = Number(/terminated \(SIGTERM\) after (\d+) of 5000 epochs/.exec(stderr)?.[1]);
  assert.ok(k >= 2, stderr);
  assert.match(stderr, new RegExp(`The state after epoch ${k - 1} is in ${out}/lsqml-checkpoint\\.npz; continue with: ptychostudy lsqml `));
  return { out, k };
}
const stopped = stoppedRun('stopped');

test('a stopped lsqml continues from its checkpoint to the bytes of an uninterrupted run, and removes the checkpoint', { timeout: 120_000 }, async () => {
  const { out: base, k } = await stopped;
  const out = join(root, 'continued');
  cpSync(base, out, { recursive: true });
  const epochs = String(k + 3);
  const r = lsqml(out, '--epochs', epochs);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^continues from epoch ${k} of ${epochs} \\(checkpoint ${out}/lsqml-checkpoint\\.npz\\)$`, 'm'));
  assert.deepEqual(r.stderr.match(/^epoch \d+\//gm), [k + 1, k + 2, k + 3].map((e) => `epoch ${e}/`), 'only the epochs left run');
  assert.equal(existsSync(join(out, 'lsqml-checkpoint.npz')), false, 'the checkpoint is removed once the result is in place');
  const whole = join(root, 'whole');
  assert.equal(lsqml(whole, '--epochs', epochs, '--checkpoint-every', '0').status, 0);
  // every array and the metadata (nothing in reconstruction.npz depends on when or how fast it ran): the same bytes
  assert.ok(readFileSync(join(out, 'reconstruction.npz')).equals(readFileSync(join(whole, 'reconstruction.npz'))), 'reconstruction.npz differs');
  const losses = (dir: string): string[] => readFileSync(join(dir, 'lsqml.log'), 'utf8').trim().split('\n').map((l) => l.replace(/ seconds .*/, ''));
  assert.deepEqual(losses(out), losses(whole));
  assert.equal(losses(out).length, k + 3);
});

const CK = 'lsqml-checkpoint.npz';
for (const [what, change, flags, line] of [
  ['of other settings', null, ['--batch-size', '20'], (ck: string) => `${ck}: key '_metadata.run.engine_options.batchSize': expected 20 (this run); found 96: a checkpoint of another run`],
  ['of another input (fewer patterns)', null, ['--n-images', '30'], (ck: string) => `${ck}: key '_metadata.run.n_positions': expected 30 (this run); found 40: a checkpoint of another run`],
  ['that is truncated', (ck: string) => truncateSync(ck, Math.floor(statSync(ck).size / 2)), [], (ck: string) => new RegExp(`^${ck}: expected an LSQML checkpoint \\(an NPZ this tool wrote\\); found .+$`)],
  ['of a newer format', (ck: string) => {
    const a = loadNpz(ck), meta = (readMetadata(a) as { value: Record<string, unknown> }).value;
    saveNpz(ck, { ...a, _metadata: metadataArray({ ...meta, format_version: 2 }) }, { compress: false });
  }, [], (ck: string) => `${ck}: key '_metadata.format_version': expected 1 (the format this ptychostudy reads); found 2 (written by a newer ptychostudy)`],
] as const) {
  test(`lsqml refuses a checkpoint ${what}: one line, exit 2, nothing written`, { timeout: 120_000 }, async () => {
    const { out: base, k } = await stopped;
    const out = join(root, `refused-${what.replace(/\W+/g, '-')}`);
    cpSync(base, out, { recursive: true });
    const ck = join(out, CK);
    if (change) change(ck);
    const before = listing(out);
    const r = lsqml(out, '--epochs', String(k + 3), ...flags);
    assert.equal(r.status, 2, r.stderr);
    const expected = line(ck);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    if (typeof expected === 'string') assert.equal(lines[0], `ptychostudy lsqml: ${expected}`);
    else assert.match(lines[0]!.replace(/^ptychostudy lsqml: /, ''), expected);
    assert.deepEqual(listing(out), before, 'nothing written');
  });
}

// precision is part of what decides a run: a float64 run's checkpoint (c16 arrays) is not this float32 run's, nor the reverse
for (const [written, asked] of [['float32', 'float64'], ['float64', 'float32']] as const) {
  test(`lsqml refuses the checkpoint of a ${written} run in a ${asked} run of the same input, naming the key: exit 2, nothing written`, { timeout: 120_000 }, async () => {
    const { out: base, k } = written === 'float32' ? await stopped : await stoppedRun('stopped-float64', ['--precision', 'float64']);
    const out = join(root, `precision-${written}-to-${asked}`);
    cpSync(base, out, { recursive: true });
    const before = listing(out);
    const r = lsqml(out, '--epochs', String(k + 3), '--precision', asked);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, `ptychostudy lsqml: ${join(out, CK)}: key '_metadata.run.engine_options.precision': expected "${asked}" (this run); ` +
      `found "${written}": a checkpoint of another run\n`);
    assert.deepEqual(listing(out), before, 'nothing written');
  });
}

/** Rewrites element `at` of member `key` of a checkpoint to `v` (a whole archive again: its CRC-32 are right). */
function rewritten(ck: string, key: string, at: number, v: number): void {
  const a = loadNpz(ck);
  a[key]!.data[at] = v;
  saveNpz(ck, a, { compress: false });
}

// The engine writes finite values only; a NaN or an infinity read back, or finite numbers so large that |P·O|² overflows,
// would make the continued run diverge at once (exit 1, "LSQML diverged"): a bad file reported as a failed reconstruction.
for (const [key, at, v, line] of [
  ['probe', 301, NaN, (ck: string) => `${ck}: key 'probe': expected finite values; found NaN in element 150 (its imaginary part)`],
  ['preconditioner', 7, -Infinity, (ck: string) => `${ck}: key 'preconditioner': expected finite values; found -Infinity at element 7`],
  ['poisson_step_state', 3, NaN, (ck: string) => `${ck}: key 'poisson_step_state': expected finite values; found NaN at element 3`],
  ['probe', 300, 1e30, (ck: string) => `${ck}: object and probe: expected values whose predicted intensity |P·O|² fits in float32; found Infinity (|P·O|² overflows)`],
] as const) {
  test(`lsqml refuses a checkpoint whose ${key} holds ${v}: one line naming it, exit 2, nothing written`, { timeout: 120_000 }, async () => {
    const { out: base, k } = await stopped;
    const out = join(root, `values-${key}-${v}`);
    cpSync(base, out, { recursive: true });
    const ck = join(out, CK);
    rewritten(ck, key, at, v);
    const before = listing(out);
    const r = lsqml(out, '--epochs', String(k + 3));
    assert.equal(r.status, 2, r.stderr);
    // a value found once the engine ran on it follows the line saying where the run continues from
    assert.deepEqual(r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('continues from epoch ')), [`ptychostudy lsqml: ${line(ck)}`]);
    assert.deepEqual(listing(out), before, 'nothing written');
  });
}

test('lsqml refuses a checkpoint of this run held in another precision than the engine computes in here, naming the key: exit 2, nothing written', { timeout: 120_000 }, async () => {
  // what a float32 run's checkpoint is where the engine computes that run in float64 (no WebAssembly SIMD): the
  // same run, its state in complex128 — made here from the float32 run's
  const { out: base, k } = await stopped;
  const out = join(root, 'precision-held');
  cpSync(base, out, { recursive: true });
  const ck = join(out, CK);
  const a = loadNpz(ck), meta = (readMetadata(a) as { value: Record<string, unknown> }).value;
  const wider = (v: NdArray): NdArray => ({ dtype: '<c16', shape: v.shape, data: Float64Array.from(v.data as Float32Array) });
  saveNpz(ck, { ...a, object: wider(a['object']!), probe: wider(a['probe']!), _metadata: metadataArray({ ...meta, precision: 'float64' }) }, { compress: false });
  const before = listing(out);
  const r = lsqml(out, '--epochs', String(k + 3));
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `ptychostudy lsqml: ${ck}: key '_metadata.precision': expected float32 (the precision this run computes in here); found float64\n`);
  assert.deepEqual(listing(out), before, 'nothing written');
});

test('lsqml refuses a checkpoint past the epochs asked for, naming both', { timeout: 120_000 }, async () => {
  const { out: base, k } = await stopped;
  const out = join(root, 'fewer');
  cpSync(base, out, { recursive: true });
  const before = listing(out);
  const r = lsqml(out, '--epochs', String(k - 1));
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `ptychostudy lsqml: ${join(out, CK)}: key '_metadata.epochs_done': expected an epoch count from 1 to ${k - 1} (the epochs asked for: more would continue it); found ${k}\n`);
  assert.deepEqual(listing(out), before);
});

test('--checkpoint-every and execution.checkpointEvery go through the settings schema: a bad value is named, exit 2, nothing written', () => {
  const out = join(root, 'bad-every');
  const flag = lsqml(out, '--epochs', '4', '--checkpoint-every', '-1');
  assert.equal(flag.status, 2, flag.stderr);
  assert.match(flag.stderr, /^ptychostudy lsqml: --checkpoint-every -1: expected a non-negative integer/);
  const config = join(root, 'every.json');
  writeFileSync(config, JSON.stringify({ execution: { checkpointEvery: 'often' } }));
  const file = spawnSync(process.execPath, [CLI, 'lsqml', '--input', INPUT, '--out', out, '--epochs', '4', '--config', config], { encoding: 'utf8' });
  assert.equal(file.status, 2, file.stderr);
  assert.match(file.stderr, /execution\.checkpointEvery/);
  assert.match(file.stderr, new RegExp(config.replace(/[.]/g, '\\.')));
  assert.equal(existsSync(out), false);
});
