/**
 * `ptychostudy lsqml` and `runLsqmlJob`: outputs, metadata, PNG, log, overwrite protection, usage and
 * input errors (exit 2), intensity scale, --n-images, determinism, and a recognisable reconstruction
 * of a generated dataset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { UsageError } from '../../src/errors.js';
import { readMetadata } from '../../src/data/metadata.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import type { StudySettingsInput } from '../../src/settings/schema.js';
import { runLsqmlJob, type LsqmlJobOptions } from '../../src/study/reconstruct/lsqml-job.js';
import { writeSyntheticDataset } from '../engine/dataset.js';
import { phaseErrorRms } from '../engine/quality.js';

const cli = 'dist/src/cli/main.js';
const root = mkdtempSync(join(tmpdir(), 'ptychostudy-lsqml-'));
const spec = { size: 32, height: 80, width: 80, positions: 100, photons: 1e4, poisson: true, seed: 3 };
const ds = writeSyntheticDataset(join(root, 'data.npz'), spec, 2.5);
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

type Reconstruction = NonNullable<StudySettingsInput['reconstruction']>;
/** One job: these reconstruction settings (parsed as the CLI parses its flags) over 4 epochs, batch 16, seed 1. */
const job = (o: Reconstruction & { inputNpz?: string; outputDir?: string }): LsqmlJobOptions => {
  const { inputNpz = ds.path, outputDir = join(root, 'job'), ...settings } = o;
  return { inputNpz, outputDir, settings: parseStudySettings({ reconstruction: { epochs: 4, batchSize: 16, seed: 1, ...settings } }).reconstruction };
};

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function lsqml(args: string[]) {
  return spawnSync(process.execPath, [cli, 'lsqml', ...args], { encoding: 'utf8' });
}

test('ptychostudy lsqml writes reconstruction.npz, reconstruction.png and lsqml.log; the object is recognisable', () => {
  const out = join(root, 'run1');
  const r = lsqml(['--input-npz', ds.path, '--output-dir', out, '--epochs', '20', '--batch-size', '32', '--seed', '5']);
  assert.equal(r.status, 0, r.stderr);
  // Not a TTY: plain progress lines, one per epoch.
  assert.equal((r.stderr.match(/^epoch \d+\/20 loss /gm) ?? []).length, 20);
  const a = loadNpz(join(out, 'reconstruction.npz'));
  assert.equal(a.reconstructed_object!.dtype, '<c8'); assert.deepEqual(a.reconstructed_object!.shape, [80, 80]);
  assert.equal(a.reconstructed_probe!.dtype, '<c8'); assert.deepEqual(a.reconstructed_probe!.shape, [1, 32, 32]);
  assert.equal(a.loss_history!.dtype, '<f8'); assert.deepEqual(a.loss_history!.shape, [20]);
  assert.equal(a.epoch_seconds, undefined, 'timings are in reconstruction_run.json, not in the NPZ');
  assert.deepEqual(a.positions!.shape, [100, 2]);
  const pos = a.positions!.data as Float64Array;
  assert.equal(pos[0], ds.coords.y[0]); assert.equal(pos[1], ds.coords.x[0]);
  const m = readMetadata(a._metadata!);
  assert.equal(m.status, 'ok');
  const meta = (m as { value: Record<string, unknown> }).value;
  assert.equal(meta.engine, 'ptychostudy-lsqml');
  assert.equal(meta.engine_version, pkg.version);
  assert.equal(meta.intensity_scale, 2.5);
  const input = meta.input as { sha256: string; size_bytes: number };
  assert.equal(input.sha256, createHash('sha256').update(readFileSync(ds.path)).digest('hex'));
  assert.equal(input.size_bytes, readFileSync(ds.path).length);
  assert.equal((meta.engine_options as { batchSize: number }).batchSize, 32);
  assert.equal((meta.job_options as { seed: number }).seed, 5);
  assert.equal(meta.n_positions, 100);
  assert.equal((meta.input as { file: string }).file, ds.path.split('/').pop());
  for (const k of ['total_seconds', 'epoch_seconds', 'created_utc']) assert.equal(meta[k], undefined, `${k} is not in the NPZ`);
  assert.equal((meta.engine_options as { threads?: number }).threads, undefined, 'the thread count is not in the NPZ');
  assert.doesNotMatch(JSON.stringify(meta), new RegExp(root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'no absolute path in _metadata');
  const runRecord = JSON.parse(readFileSync(join(out, 'reconstruction_run.json'), 'utf8')) as Record<string, unknown>;
  assert.equal((runRecord.epoch_seconds as number[]).length, 20);
  assert.ok(typeof runRecord.total_seconds === 'number' && typeof runRecord.threads === 'number');
  assert.equal(runRecord.input_npz, ds.path);
  // The log: one line per epoch.
  const log = readFileSync(join(out, 'lsqml.log'), 'utf8').trim().split('\n');
  assert.equal(log.length, 20);
  assert.match(log[0]!, /^epoch 0 loss \S+ seconds \S+$/);
  // The PNG.
  const png = readFileSync(join(out, 'reconstruction.png'));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.readUInt32BE(16) > 300 && png.readUInt32BE(20) > 300, 'figure size');
  // Recognisable: the phase matches the ground truth to < 0.15 rad RMS (offset and ramp removed).
  const obj = Float64Array.from(a.reconstructed_object!.data as Float32Array);
  const err = phaseErrorRms(obj, ds.problem.trueObject, 80, 80, ds.problem.trueProbe, 32, ds.problem.input.positions);
  assert.ok(err < 0.15, `phase error ${err} rad`);
});

test('lsqml on 1 and on 2 threads, float32 and float64, from another working directory: reconstruction.npz and .png are the same bytes, lsqml.log but its seconds', async () => {
  const files = (dir: string): string[] => ['reconstruction.npz', 'reconstruction.png'].map((f) => sha256(readFileSync(join(dir, f))));
  const losses = (dir: string): string => readFileSync(join(dir, 'lsqml.log'), 'utf8').replace(/ seconds \S+/g, '');
  const threads = (dir: string): unknown => (JSON.parse(readFileSync(join(dir, 'reconstruction_run.json'), 'utf8')) as { threads: unknown }).threads;
  // float32 (the default) through the command; the second run on two threads, named by a relative --out from
  // another working directory, in another time zone and language
  const args = ['--input', ds.path, '--epochs', '4', '--batch-size', '16', '--seed', '1'];
  const one = join(root, 'threads-1'), two = join(root, 'threads-2');
  assert.equal(lsqml([...args, '--out', one, '--threads', '1']).status, 0);
  const r = spawnSync(process.execPath, [join(process.cwd(), cli), 'lsqml', ...args, '--out', 'threads-2', '--threads', '2'],
    { encoding: 'utf8', cwd: root, env: { ...process.env, TZ: 'Pacific/Kiritimati', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(files(two), files(one), 'float32: the same bytes on 1 and 2 threads');
  assert.equal(losses(two), losses(one));
  assert.deepEqual([threads(one), threads(two)], [1, 2], 'reconstruction_run.json records the thread count that ran');
  // float64, as the command runs it
  const f64 = [join(root, 'f64-threads-1'), join(root, 'f64-threads-2')];
  for (const [i, dir] of f64.entries()) await runLsqmlJob(job({ outputDir: dir, precision: 'float64', threads: i + 1 }));
  assert.deepEqual(files(f64[1]!), files(f64[0]!), 'float64: the same bytes on 1 and 2 threads');
  assert.notDeepEqual(files(f64[0]!), files(one), 'the precision is a setting: other bytes');
});

test('inside a SLURM job lsqml without --threads runs as many threads as SLURM gave the task, not one per core of the node', () => {
  // A cluster that does not bind tasks to their CPUs (task/none) leaves the affinity mask the whole node: a task given
  // one CPU ran min(2, cores) threads.
  const out = join(root, 'slurm-task');
  const env = { ...process.env, SLURM_JOB_ID: '6288', SLURM_CPUS_PER_TASK: '1', SLURM_CPUS_ON_NODE: '1' };
  const r = spawnSync(process.execPath, [cli, 'lsqml', '--input', ds.path, '--out', out, '--epochs', '2'], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(readFileSync(join(out, 'reconstruction_run.json'), 'utf8')) as { threads: unknown }).threads, 1);
});

test('an existing reconstruction is not overwritten without --overwrite (exit 2)', () => {
  const out = join(root, 'run2');
  assert.equal(lsqml(['--input-npz', ds.path, '--output-dir', out, '--epochs', '2']).status, 0);
  const before = readFileSync(join(out, 'reconstruction.npz'));
  const r = lsqml(['--input-npz', ds.path, '--output-dir', out, '--epochs', '2']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /exists; pass --overwrite/);
  assert.ok(readFileSync(join(out, 'reconstruction.npz')).equals(before));
  const over = lsqml(['--input-npz', ds.path, '--output-dir', out, '--epochs', '3', '--overwrite']);
  assert.equal(over.status, 0, over.stderr);
  assert.deepEqual(loadNpz(join(out, 'reconstruction.npz')).loss_history!.shape, [3]);
  // the replaced files are kept, together, in history/
  const kept = readdirSync(join(out, 'history'));
  assert.equal(kept.length, 1);
  assert.match(kept[0]!, /^replaced-\d{8}T\d{6}Z$/);
  assert.match(over.stderr, new RegExp(`moved to ${join(out, 'history', kept[0]!).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const old = join(out, 'history', kept[0]!);
  assert.ok(readFileSync(join(old, 'reconstruction.npz')).equals(before));
  assert.deepEqual(readdirSync(old).sort(), ['lsqml.log', 'reconstruction.npz', 'reconstruction.png', 'reconstruction_run.json']);
  assert.equal(readFileSync(join(old, 'lsqml.log'), 'utf8').trim().split('\n').length, 2);
  assert.deepEqual(readdirSync(out).sort(), ['history', 'lsqml.log', 'reconstruction.npz', 'reconstruction.png', 'reconstruction_run.json']);
});

test('lsqml --keep-same: the same input and settings keep the reconstruction (exit 0, nothing written); a broken one is refused, never taken for absent', () => {
  const out = join(root, 'keep-same');
  assert.equal(lsqml(['--input', ds.path, '--out', out, '--epochs', '2']).status, 0);
  const before = readFileSync(join(out, 'reconstruction.npz'));
  const listing = readdirSync(out).sort();
  const same = lsqml(['--input', ds.path, '--out', out, '--epochs', '2', '--threads', '1', '--keep-same']);
  assert.equal(same.status, 0, same.stderr);
  assert.equal(same.stdout, `kept ${join(out, 'reconstruction.npz')}: a reconstruction of ${ds.path} with the same settings (--keep-same); --overwrite reconstructs it again\n`);
  assert.deepEqual(readdirSync(out).sort(), listing);
  const other = lsqml(['--input', ds.path, '--out', out, '--epochs', '2', '--batch-size', '8', '--keep-same']);
  assert.equal(other.status, 2);
  assert.match(other.stderr, /^ptychostudy lsqml: \S+reconstruction\.npz: expected a reconstruction of \S+ with the settings asked now, to keep it; found one made with reconstruction\.batchSize 96, now 8\. It is kept as it is: /);
  assert.ok(readFileSync(join(out, 'reconstruction.npz')).equals(before));
  const both = lsqml(['--input', ds.path, '--out', out, '--keep-same', '--overwrite']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /option '--keep-same' cannot be used with option '--overwrite'/);
  writeFileSync(join(out, 'reconstruction.npz'), 'not an NPZ\n');
  const broken = lsqml(['--input', ds.path, '--out', out, '--epochs', '2', '--keep-same']);
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /^ptychostudy lsqml: \S+reconstruction\.npz: key '_metadata': expected a JSON object/);
  assert.equal(readFileSync(join(out, 'reconstruction.npz'), 'utf8'), 'not an NPZ\n');
});

test('lsqml --overwrite moves the report made of the earlier reconstruction to history/ with it: DIR/report/ never shows another result', () => {
  const out = join(root, 'run-report');
  assert.equal(lsqml(['--input', ds.path, '--out', out, '--epochs', '2']).status, 0);
  const rep = spawnSync(process.execPath, [cli, 'report', '--out', out, '--quiet'], { encoding: 'utf8' });
  assert.equal(rep.status, 0, rep.stderr);
  const page = readFileSync(join(out, 'report', 'index.html'), 'utf8');
  assert.match(page, /<dt>epochs<\/dt><dd>2, final loss /);
  const over = lsqml(['--input', ds.path, '--out', out, '--epochs', '3', '--overwrite']);
  assert.equal(over.status, 0, over.stderr);
  const [kept] = readdirSync(join(out, 'history'));
  // the earlier report went with the reconstruction it shows, whole; none is left beside the new one
  assert.deepEqual(readdirSync(join(out, 'history', kept!)).sort(), ['lsqml.log', 'reconstruction.npz', 'reconstruction.png', 'reconstruction_run.json', 'report']);
  assert.equal(readFileSync(join(out, 'history', kept!, 'report', 'index.html'), 'utf8'), page);
  assert.equal(existsSync(join(out, 'report')), false);
  // so `report` writes the new reconstruction's page without --force
  const again = spawnSync(process.execPath, [cli, 'report', '--out', out, '--quiet'], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(readFileSync(join(out, 'report', 'index.html'), 'utf8'), /<dt>epochs<\/dt><dd>3, final loss /);
});

test('lsqml --overwrite that diverges: the earlier run\'s files move to history/ together, the directory holds the failed run\'s log alone', () => {
  const out = join(root, 'run-diverge');
  // 1e9 photons per 32² pattern: the Poisson model in float32 diverges in epoch 1 (docs/lsqml.md), the Gaussian one does not
  const bright = writeSyntheticDataset(join(root, 'bright.npz'), { ...spec, photons: 1e9 }, 1);
  const good = lsqml(['--input', bright.path, '--out', out, '--epochs', '2']);
  assert.equal(good.status, 0, good.stderr);
  const earlier = new Map(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]));
  // bad input with --overwrite: nothing moves, nothing is written
  const nan = writeSyntheticDataset(join(root, 'nan-over.npz'), { ...spec, positions: 9 }, undefined, {});
  const a = loadNpz(nan.path);
  (a.diffraction!.data as Float32Array)[7] = NaN;
  saveNpz(nan.path, a);
  const bad = lsqml(['--input', nan.path, '--out', out, '--overwrite']);
  assert.equal(bad.status, 2, bad.stderr);
  assert.deepEqual(readdirSync(out).sort(), [...earlier.keys()].sort());
  for (const [f, bytes] of earlier) assert.ok(readFileSync(join(out, f)).equals(bytes), f);

  const r = lsqml(['--input', bright.path, '--out', out, '--epochs', '8', '--noise-model', 'poisson', '--precision', 'float32', '--overwrite']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /diverged at epoch 1/);
  assert.deepEqual(readdirSync(out).sort(), ['history', 'lsqml.log'], 'only the failed run\'s log beside history/ (no staging left)');
  assert.match(readFileSync(join(out, 'lsqml.log'), 'utf8'), /^stopped: LSQML diverged at epoch 1/m);
  const [kept] = readdirSync(join(out, 'history'));
  for (const [f, bytes] of earlier) assert.ok(readFileSync(join(out, 'history', kept!, f)).equals(bytes), `${f} kept unchanged in history`);
});

test('usage and input errors exit 2 with a message and write nothing', () => {
  const out = join(root, 'bad');
  const cases: Array<[string[], RegExp]> = [
    [['--output-dir', out], /--input is required/],
    [['--input-npz', join(root, 'missing.npz'), '--output-dir', out], /no such file/],
    [['--input-npz', ds.path, '--output-dir', out, '--epochs', '0'], /--epochs 0: expected a positive integer/],
    [['--input-npz', ds.path, '--output-dir', out, '--noise-model', 'laplace'], /--noise-model laplace: expected gaussian or poisson/],
  ];
  for (const [args, re] of cases) {
    const r = lsqml(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  // A file that breaks the dataset contract (no probeGuess / bad shapes).
  const broken = writeSyntheticDataset(join(root, 'broken.npz'), { ...spec, positions: 9 }, undefined, {
    probeGuess: { dtype: '<f4', shape: [32, 32], data: new Float32Array(32 * 32) },
  });
  const r = lsqml(['--input-npz', broken.path, '--output-dir', out]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /probeGuess/);
  // NaN in the data.
  const nan = writeSyntheticDataset(join(root, 'nan.npz'), { ...spec, positions: 9 }, undefined, {});
  const a = loadNpz(nan.path);
  (a.diffraction!.data as Float32Array)[5] = NaN;
  saveNpz(nan.path, a);
  const rn = lsqml(['--input-npz', nan.path, '--output-dir', out]);
  assert.equal(rn.status, 2, rn.stderr);
  assert.match(rn.stderr, /non-finite/);
  assert.ok(!existsSync(join(out, 'reconstruction.npz')));
});

test('a reconstruction\'s bad settings are usage errors (exit code 2) naming the setting, before the job runs', () => {
  const cases: Array<[Reconstruction, RegExp]> = [
    [{ initObject: 'truth' }, /`reconstruction\.initObject` truth: expected ones, guess or file:PATH/],
    [{ initProbe: 'random' }, /`reconstruction\.initProbe` random: expected guess or file:PATH/],
    [{ nImages: 0 }, /`reconstruction\.nImages` 0: expected a positive integer/],
    [{ modes: 1.5 }, /`reconstruction\.modes` 1\.5: expected an integer from 1 to 50 \(MAX_PROBE_MODES/],
    [{ batchSize: 0 }, /`reconstruction\.batchSize` 0: expected a positive integer/],
  ];
  for (const [o, re] of cases) {
    assert.throws(() => job(o), (e: unknown) => e instanceof UsageError && e.exitCode === 2 && re.test(e.message));
  }
});

test('runLsqmlJob: intensity_scale is applied, --n-images caps the positions, same seed gives identical arrays', async () => {
  const plain = writeSyntheticDataset(join(root, 'plain.npz'), spec); // s = 1, no metadata
  const progress: number[] = [];
  const a = await runLsqmlJob(job({ outputDir: join(root, 'ja'), nImages: 40 }), (p) => progress.push(p.epoch));
  const b = await runLsqmlJob(job({ outputDir: join(root, 'jb'), inputNpz: plain.path, nImages: 40 }));
  const c = await runLsqmlJob(job({ outputDir: join(root, 'jc'), nImages: 40, threads: 2 }));
  assert.deepEqual(progress, [1, 2, 3, 4]);
  assert.equal(a.nPositions, 40);
  assert.equal(a.epochsRun, 4);
  const ka = loadNpz(a.reconstructionNpz), kb = loadNpz(b.reconstructionNpz), kc = loadNpz(c.reconstructionNpz);
  const obj = (k: typeof ka) => Float64Array.from(k.reconstructed_object!.data as Float32Array);
  // √counts/2.5 rescaled by 2.5 equals √counts to float32 rounding. The float32 engine carries such
  // rounding differences to ~1e-3 in 4 epochs (docs/lsqml.md, "Precision").
  let d = 0, r = 0;
  const oa = obj(ka), ob = obj(kb);
  for (let j = 0; j < oa.length; j++) { d += (oa[j]! - ob[j]!) ** 2; r += ob[j]! ** 2; }
  assert.ok(Math.sqrt(d / r) < 1e-2, `scaled vs unscaled: ${Math.sqrt(d / r)}`);
  const mb = (readMetadata(kb._metadata!) as { value: Record<string, unknown> }).value;
  assert.equal(mb.intensity_scale, 1);
  assert.match(String(mb.intensity_scale_source), /absent/);
  // Same seed, different thread count: identical arrays.
  for (const key of ['reconstructed_object', 'reconstructed_probe', 'loss_history']) {
    const x = ka[key]!.data as Float32Array, y = kc[key]!.data as Float32Array;
    assert.ok(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)), key);
  }
});

test('runLsqmlJob: two modes from the Hermite recipe, objectGuess start, probe from a file', async () => {
  const m2 = await runLsqmlJob(job({ outputDir: join(root, 'm2'), modes: 2, epochs: 3 }));
  const k = loadNpz(m2.reconstructionNpz);
  assert.deepEqual(k.reconstructed_probe!.shape, [2, 32, 32]);
  const g = await runLsqmlJob(job({ outputDir: join(root, 'g'), initObject: 'guess', epochs: 2, initProbe: `file:${m2.reconstructionNpz}` }));
  const meta = (readMetadata(loadNpz(g.reconstructionNpz)._metadata!) as { value: Record<string, unknown> }).value;
  assert.equal(meta.init_object, 'guess');
  assert.match(String(meta.init_probe), /^file:/);
  // the probe file by name, size and SHA-256, as the object file is (a resume compares them)
  const probeBytes = readFileSync(m2.reconstructionNpz);
  assert.deepEqual(meta.init_probe_file, { file: 'reconstruction.npz', size_bytes: probeBytes.length, sha256: createHash('sha256').update(probeBytes).digest('hex') });
  assert.equal(meta.init_object_file, undefined);
  await assert.rejects(runLsqmlJob(job({ initProbe: `file:${ds.path}x` })), /cannot open|no such file/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test('a second lsqml into a directory that one is writing stops at once (exit 2) naming the holder, and changes nothing', async () => {
  const out = join(root, 'run-busy');
  // no checkpoints: the next run asks for fewer epochs than this one's checkpoint would hold
  const first = spawn(process.execPath, [cli, 'lsqml', '--input', ds.path, '--out', out, '--epochs', '400', '--checkpoint-every', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err1 = '';
  first.stderr!.on('data', (b: Buffer) => { err1 += b.toString(); });
  const ended = new Promise<number | null>((done) => first.once('close', done));
  try {
    // it holds the lock from before its first epoch until it has moved its files in
    while (!/^epoch 1\//m.test(err1)) {
      if (first.exitCode !== null) assert.fail(`the first run ended early: ${err1}`);
      await new Promise((done) => setTimeout(done, 20));
    }
    const r = lsqml(['--input', ds.path, '--out', out, '--epochs', '2', '--overwrite']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`pid ${first.pid}`));
    assert.equal(existsSync(join(out, 'history')), false);
  } finally {
    first.kill('SIGKILL');
    await ended;
  }
  // the killed run left its staging directory (its log so far) and its lock; the next run keeps that log in
  // history/interrupted-<time>-<pid>/, takes the lock over and writes its files
  const staged = readdirSync(out).filter((f) => f.startsWith('.staging-lsqml-'));
  assert.equal(staged.length, 1);
  const partial = readFileSync(join(out, staged[0]!, 'lsqml.log'), 'utf8');
  assert.match(partial, /^epoch 0 loss /);
  const next = lsqml(['--input', ds.path, '--out', out, '--epochs', '2']);
  assert.equal(next.status, 0, next.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['history', 'lsqml.log', 'reconstruction.npz', 'reconstruction.png', 'reconstruction_run.json']);
  assert.deepEqual(readdirSync(join(out, 'history')), [`interrupted-${staged[0]!.slice('.staging-lsqml-'.length)}`]);
  assert.equal(readFileSync(join(out, 'history', `interrupted-${staged[0]!.slice('.staging-lsqml-'.length)}`, 'lsqml.log'), 'utf8'), partial);
});

test('lsqml --overwrite where history/ is a file: refused before the run (exit 2), nothing changed', () => {
  const out = join(root, 'run-history-file');
  assert.equal(lsqml(['--input', ds.path, '--out', out, '--epochs', '2']).status, 0);
  writeFileSync(join(out, 'history'), 'not a directory');
  const before = readdirSync(out).sort();
  const r = lsqml(['--input', ds.path, '--out', out, '--epochs', '2', '--overwrite']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim(), `ptychostudy lsqml: ${join(out, 'history')}: expected a directory (where earlier outputs go); found a file`);
  assert.deepEqual(readdirSync(out).sort(), before);
});

test('the reference study\'s command line for one job (ptychi_reconstruct_tike.py\'s --algorithm LSQML --num-epochs N --input-npz --output-dir --n-images) runs', () => {
  const out = join(root, 'reference-argv');
  const r = lsqml(['--algorithm', 'LSQML', '--num-epochs', '3', '--input-npz', ds.path, '--output-dir', out, '--n-images', '40', '--batch-size', '16']);
  assert.equal(r.status, 0, r.stderr);
  const a = loadNpz(join(out, 'reconstruction.npz'));
  assert.deepEqual(a.loss_history!.shape, [3], '--num-epochs is the epoch count');
  assert.deepEqual(a.positions!.shape, [40, 2], '--n-images caps the positions');
  // another algorithm is refused, and so are two epoch counts that disagree; nothing is written
  for (const [args, re] of [
    [['--algorithm', 'ePIE'], /--algorithm: only LSQML is implemented; found 'ePIE'/],
    [['--epochs', '3', '--num-epochs', '4'], /--epochs and --num-epochs name the same option with different values/],
  ] as [string[], RegExp][]) {
    const bad = join(root, 'reference-argv-bad');
    const b = lsqml([...args, '--input', ds.path, '--out', bad]);
    assert.equal(b.status, 2, `${args.join(' ')}: ${b.stderr}`);
    assert.match(b.stderr, re);
    assert.ok(!existsSync(bad), `${args.join(' ')} wrote ${bad}`);
  }
});
