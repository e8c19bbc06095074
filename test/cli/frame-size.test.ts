/**
 * Detector frames read without a crop (reconstruction.crop null, `--crop-size` not given: the default): the patterns are
 * the frames whole, at their own size. A square side that float32 does not take — odd, or with a prime factor above 13
 * (a 15 × 15 stack here, as a 135 × 135 one) — runs in float64 with a warning naming the crops that make the
 * nearest sides float32 takes, below and above; an even side with no prime factor above 13 (12 × 12, as 120 × 120) runs in float32 without one; with fftBackend wasm, which takes no
 * other prime factor, a side is refused naming it (test/cli/refusals-agree.test.ts; a .ptyd's 34 × 34 frames here); frames that are not square are refused naming
 * the crop flags (refusals-agree.test.ts too). `lsqml --help` says the default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import { cxiScanEntries, writeHdf5, writePtyd } from '../data/cxi-builder.js';
import { ptychostudy } from '../data/cli-run.js';
import { tempDir } from '../tmp.js';

const dir = tempDir('frame-size');
const n = 4, S = 15;
const D = 'entry_1/data_1/data';

/** CXI counts [n, side, side], a bright spot at the frames' centre, with geometry, positions and a probe of the frames' size. */
function cxi(name: string, side = S): string {
  const counts = new Float32Array(n * side * side);
  for (let k = 0; k < n; k++) for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) counts[(k * side + y) * side + x] = 1 + 500 * Math.exp(-((y - side / 2) ** 2 + (x - side / 2) ** 2) / 4);
  const file = join(dir, `${name}.cxi`);
  writeHdf5(file, cxiScanEntries(counts, [n, side, side], { probe: true }));
  return file;
}

const metadataOf = (out: string): Record<string, unknown> =>
  (readMetadata(loadNpz(join(out, 'reconstruction.npz'))._metadata!) as { value: Record<string, unknown> }).value;

test('whole 15×15 frames, no --crop-size: the patterns are the frames at their own size, with a warning naming the crops that make the nearest sides float32 takes (14, 16)', () => {
  const file = cxi('whole');
  const warning = `${file}: key '${D}': the file's ${S}×${S} frames are read whole (no --crop-size: the frames' own size, the default), not an even side ` +
    'with no prime factor above 13: --precision float32 (the default) needs one: the reconstruction runs in float64, on the WebAssembly FFT (docs/fft.md); ' +
    `--crop-center Y,X --crop-size 14 or 16 makes patterns of 14×14 or 16×16, the nearest sides float32 takes (\`ptychostudy inspect ${file}\` says where the ` +
    'direct beam is, the crop\'s centre)';
  const out = join(dir, 'whole');
  const r = ptychostudy(['lsqml', '--input', file, '--out', out, '--epochs', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.split('\n').includes(`warning: ${warning}`), r.stderr);
  const meta = metadataOf(out);
  assert.deepEqual((meta.geometry as Record<string, unknown>).pattern_shape, [S, S]);
  assert.equal((meta.geometry as Record<string, unknown>).frames, undefined, 'no crop recorded');
  assert.equal(meta.precision, 'float64');
  assert.ok((meta.warnings as string[]).includes(warning));
  // inspect --check says it too, and finds no problem
  const check = ptychostudy(['inspect', '--check', file]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.ok(check.stdout.split('\n').includes(`  warning: ${warning}`), check.stdout);
  // the crop it names below: 14×14 patterns, float32, no such warning
  const cropped = join(dir, 'cropped');
  const c = ptychostudy(['lsqml', '--input', file, '--out', cropped, '--epochs', '2', '--crop-center', '7,7', '--crop-size', '14',
    '--probe-model', 'aperture:diameter=2e-6']);
  assert.equal(c.status, 0, c.stderr);
  assert.doesNotMatch(c.stderr, /not an even side/);
  const cm = metadataOf(cropped);
  assert.deepEqual((cm.geometry as Record<string, unknown>).pattern_shape, [14, 14]);
  assert.equal(cm.precision, 'float32');
});

test('a crop of an odd side: the warning names the nearest sides float32 takes, 8 and 10; whole 12×12 frames and a crop of 10 run in float32 without it', () => {
  const file = cxi('crop9');
  const r = ptychostudy(['lsqml', '--input', file, '--out', join(dir, 'crop9'), '--epochs', '2', '--crop-center', '6,6', '--crop-size', '9',
    '--probe-model', 'aperture:diameter=2e-6']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes(`warning: ${file}: key '${D}': --crop-center 6,6 --crop-size 9 makes 9×9 patterns, not an even side with no prime factor above 13: ` +
    '--precision float32 (the default) needs one: the reconstruction runs in float64, on the WebAssembly FFT (docs/fft.md); ' +
    `--crop-center Y,X --crop-size 8 or 10 makes patterns of 8×8 or 10×10, the nearest sides float32 takes (\`ptychostudy inspect ${file}\` says where the direct beam is, ` +
    'the crop\'s centre)\n'), r.stderr);
  for (const [name, args] of [['crop10', ['--crop-center', '6,6', '--crop-size', '10']], ['whole12', []]] as const) {
    const twelve = cxi(name, 12), out = join(dir, name);
    const e = ptychostudy(['lsqml', '--input', twelve, '--out', out, '--epochs', '2', ...args, '--probe-model', 'aperture:diameter=2e-6']);
    assert.equal(e.status, 0, e.stderr);
    assert.doesNotMatch(e.stderr, /not an even side|float64/, name);
    assert.equal(metadataOf(out).precision, 'float32', name);
  }
});

/** PtyPy prepared data (.ptyd) of counts [n, side, side], a bright spot at the frames' centre. */
function ptyd(name: string, side: number): string {
  const counts = new Float64Array(n * side * side);
  for (let k = 0; k < n; k++) for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) counts[(k * side + y) * side + x] = 1 + 500 * Math.exp(-((y - side / 2) ** 2 + (x - side / 2) ** 2) / 4);
  return writePtyd(join(dir, `${name}.ptyd`), counts, [n, side, side]);
}

test('a .ptyd\'s whole 34×34 frames (2·17): read at their own size with the warning naming the crops that make the nearest sides float32 takes (32, 36); fftBackend wasm refuses them naming it, exit 2', () => {
  const side = 34, key = 'chunks/0/data';
  const file = ptyd('whole34', side);
  const advice = `--crop-center Y,X --crop-size 32 or 36 makes patterns of 32×32 or 36×36, the nearest sides float32 takes (\`ptychostudy inspect ${file}\` says where the direct beam is, the crop's centre)`;
  const warning = `${file}: key '${key}': the file's ${side}×${side} frames are read whole (no --crop-size: the frames' own size, the default), not an even side ` +
    'with no prime factor above 13: --precision float32 (the default) needs one, and the WebAssembly FFT a side with no prime factor above 13: the reconstruction runs ' +
    `in float64 with the TypeScript FFT (12–19× the WebAssembly FFT's time per transform at similar sizes; fftBackend wasm refuses it; docs/fft.md); ${advice}`;
  const out = join(dir, 'whole34');
  const r = ptychostudy(['lsqml', '--input', file, '--out', out, '--epochs', '2', '--probe-model', 'aperture:diameter=2e-6']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.split('\n').includes(`warning: ${warning}`), r.stderr);
  const meta = metadataOf(out);
  assert.deepEqual((meta.geometry as Record<string, unknown>).pattern_shape, [side, side]);
  assert.equal(meta.precision, 'float64');
  // fftBackend wasm takes no other size: refused in one line naming the crop (the same as for CXI frames), nothing written
  const wasm = join(dir, 'wasm.yaml');
  writeFileSync(wasm, 'reconstruction:\n  fftBackend: wasm\n');
  const refusedOut = join(dir, 'whole34-wasm');
  const w = ptychostudy(['lsqml', '--input', file, '--out', refusedOut, '--epochs', '2', '--probe-model', 'aperture:diameter=2e-6', '--config', wasm]);
  assert.equal(w.status, 2, w.stderr);
  assert.equal(w.stderr, `ptychostudy lsqml: ${file}: key '${key}': expected patterns whose side is ≥ 2 with no prime factor above 13 for reconstruction.fftBackend wasm ` +
    `(the WebAssembly FFT takes no other); found ${side}×${side}: --crop-center Y,X --crop-size 32 or 36 makes patterns of 32×32 or 36×36, the nearest sides float32 takes ` +
    `(\`ptychostudy inspect ${file}\` says where the direct beam is, the crop's centre); or set fftBackend auto (the TypeScript FFT, in float64)\n`);
  assert.ok(!existsSync(refusedOut));
  // inspect --check says both, in the same lines
  const check = ptychostudy(['inspect', '--check', file]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.ok(check.stdout.split('\n').includes(`  warning: ${warning}`), check.stdout);
  const checkWasm = ptychostudy(['inspect', '--check', '--config', wasm, file]);
  assert.equal(checkWasm.status, 2, checkWasm.stdout + checkWasm.stderr);
  assert.ok(checkWasm.stdout.split('\n').includes(`  ${w.stderr.replace(/^ptychostudy lsqml: /, '').trim()}`), checkWasm.stdout);
});

test('lsqml --help says what --crop-size and --crop-center default to: no crop, the frames whole at their own size', () => {
  const help = ptychostudy(['lsqml', '--help'], { env: { COLUMNS: '1000' } }).stdout.replace(/\s+/g, ' ');
  assert.match(help, /--crop-center <y,x> [^]*?With --crop-size \(default: none, no crop\)/);
  assert.match(help, /--crop-size <n> [^]*?With --crop-center \(default: none, the frames' own size: the patterns are the frames whole, as stored; frames that are not square are then refused, naming these flags, and a side that float32 does not take runs in float64, with a warning naming the --crop-size values that make the nearest sides float32 takes, below and above\)/);
});
