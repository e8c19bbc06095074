import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import { loadDataset } from '../../src/data/dataset.js';
import { InputError, UsageError } from '../../src/errors.js';
import { Rng } from '../../src/math/rng.js';
import { randomPositions } from '../../src/physics/scan.js';
import { mergeSettings, parseStudySettings } from '../../src/settings/parse.js';
import type { StudySettingsInput } from '../../src/settings/schema.js';
import { doseDirName } from '../../src/study/hub/layout.js';
import { runSimulation } from '../../src/study/simulate/phase.js';
import { planSimulation, type PhaseCProgress } from '../../src/study/simulate/plan.js';
import { parseDose } from '../../src/cli/flags.js';

/** A tiny study (the quick preset's values, then N = 32, 96×96 object, `n` positions). */
function tiny(n = 120): StudySettingsInput {
  return { preset: 'quick', simulation: { patchSize: 32, objectShape: [96, 96], nPositions: n } };
}

/** Phase C of `study` with these simulation settings (parsed as the CLI parses its flags) into `outputRoot`. */
function generate(study: StudySettingsInput, o: { outputRoot: string; doses?: number[]; nImages?: number; seed?: number; baseNpz?: string;
  overwrite?: boolean; timestamp?: string }, onProgress?: (p: PhaseCProgress) => void) {
  return (async () => {
    const settings = parseStudySettings(mergeSettings(study, { simulation: { doses: o.doses, nImages: o.nImages, seed: o.seed, baseNpz: o.baseNpz } }) as StudySettingsInput);
    return runSimulation(settings, { outputRoot: o.outputRoot, overwrite: o.overwrite, timestamp: o.timestamp }, onProgress);
  })();
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'ptychostudy-gen-'));
}

function numpyPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import numpy'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

test('two doses: valid DATA-001 files, photons within 3σ of the dose, complete disjoint y split, shared scene', async () => {
  const root = tmp();
  try {
    const preset = tiny();
    const events: PhaseCProgress[] = [];
    const res = await generate(preset, { outputRoot: root, doses: [1e3, 1e5] }, (p) => events.push(p));
    assert.deepEqual(res.doses.map((d) => d.dose), [1e3, 1e5]);
    assert.ok(events.some((e) => e.stage === 'simulate') && events.filter((e) => e.stage === 'dose-done').length === 2);
    const n = 120;
    const all = randomPositions(n, 96, 96, 32, new Rng(42).fork('positions'));
    let firstObject: Float32Array | null = null;
    let firstYs: number[] | null = null;
    for (const dose of [1e3, 1e5]) {
      const dir = join(root, doseDirName(dose));
      const train = loadDataset(join(dir, 'patched_train.npz'));
      const test = loadDataset(join(dir, 'patched_test.npz'));
      for (const ds of [train, test]) {
        assert.deepEqual(ds.warnings, []);
        assert.equal(ds.H, 32);
        assert.equal(ds.objectGuess!.dtype, '<c8');
        assert.deepEqual(ds.objectGuess!.shape, [96, 96]);
        assert.equal(ds.probeGuess.dtype, '<c8');
        assert.ok(ds.metadata, 'metadata decodes');
        const tools = (ds.metadata!.data_transformations as Array<{ tool: string }>).map((t) => t.tool);
        assert.ok(tools.includes('transpose_rename_convert'), 'PHASEC-METADATA-001 record present');
        assert.equal(ds.metadata!.dose, dose);
        for (const k of ['xcoords_start', 'ycoords_start', 'scan_index']) assert.ok(k in ds.extra, `${k} written`);
      }
      for (const split of ['train', 'test']) {
        // no single-patch `Y` copied to both splits: the ground truth is objectGuess at the coordinates
        const members = Object.keys(loadNpz(join(dir, `patched_${split}.npz`))).sort();
        assert.deepEqual(members, ['_metadata', 'diffraction', 'objectGuess', 'probeGuess', 'scan_index', 'xcoords', 'xcoords_start', 'ycoords', 'ycoords_start']);
      }
      // split: disjoint and complete, train strictly below the split point
      const meta = train.metadata!;
      const split = (meta.data_transformations as Array<{ operation: string; parameters: Record<string, number> }>)
        .find((t) => t.operation === 'train_test_split')!.parameters;
      assert.equal(split.train_count, train.n);
      assert.equal(split.test_count, test.n);
      assert.equal(train.n + test.n, n);
      let lo = Infinity, hi = -Infinity;
      for (const y of all.y) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
      assert.equal(split.split_point, lo + (hi - lo) / 2);
      for (const y of train.ycoords) assert.ok(y < split.split_point);
      for (const y of test.ycoords) assert.ok(y >= split.split_point);
      const key = (x: number, y: number): string => `${x},${y}`;
      const got = new Set<string>();
      for (const ds of [train, test]) for (let i = 0; i < ds.n; i++) got.add(key(ds.xcoords[i], ds.ycoords[i]));
      const want = new Set<string>();
      for (let i = 0; i < n; i++) want.add(key(all.x[i], all.y[i]));
      assert.deepEqual(got, want, 'the two splits hold exactly the simulated positions');
      // photons: counts = (diffraction·s)², mean over all positions within 3σ of the dose
      const s = meta.intensity_scale as number;
      assert.equal((test.metadata!.intensity_scale as number), s);
      let total = 0;
      for (const ds of [train, test]) for (const v of ds.diffraction) total += Math.round((v * s) ** 2);
      const mean = total / n;
      assert.ok(Math.abs(mean - dose) <= 3 * Math.sqrt(dose / n), `dose ${dose}: mean ${mean} photons per pattern`);
      // same object and positions for every dose
      const obj = train.objectGuess!.data as Float32Array;
      if (!firstObject) { firstObject = obj; firstYs = Array.from(train.ycoords); }
      else { assert.deepEqual(obj, firstObject); assert.deepEqual(Array.from(train.ycoords), firstYs); }
      assert.deepEqual(test.objectGuess!.data, obj, 'object copied to both splits');
    }
    const manifest = JSON.parse(readFileSync(join(root, 'run_manifest.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(manifest), ['dose_1000', 'dose_100000', '_run']);
    assert.equal(manifest.dose_1000.dose, 1000);
    assert.equal(manifest.dose_1000.train, 'dose_1000/patched_train.npz', 'relative to the Phase C root');
    assert.equal(manifest.dose_1000.intermediate_dir, 'dose_1000');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('same seed gives identical bytes; one dose alone equals the same dose among others; another seed differs', async () => {
  const a = tmp(), b = tmp(), c = tmp();
  try {
    const preset = tiny(60);
    await generate(preset, { outputRoot: a, doses: [1e3, 1e4] });
    await generate(preset, { outputRoot: b, doses: [1e4] });
    await generate(preset, { outputRoot: c, doses: [1e4], seed: 43 });
    for (const f of ['patched_train.npz', 'patched_test.npz']) {
      const fa = readFileSync(join(a, 'dose_10000', f));
      const fb = readFileSync(join(b, 'dose_10000', f));
      assert.ok(fa.equals(fb), `${f}: identical bytes`);
      assert.ok(!fa.equals(readFileSync(join(c, 'dose_10000', f))), `${f}: another seed, other data`);
    }
  } finally {
    for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true });
  }
});

test('existing outputs are never replaced without overwrite; run_manifest keeps other doses', async () => {
  const root = tmp();
  try {
    const preset = tiny(40);
    await generate(preset, { outputRoot: root, doses: [1e3] });
    const file = join(root, 'dose_1000', 'patched_train.npz');
    const before = readFileSync(file);
    const mtime = statSync(file).mtimeMs;
    await assert.rejects(generate(preset, { outputRoot: root, doses: [1e4, 1e3], seed: 7 }),
      (e: unknown) => e instanceof InputError && e.message.includes(file) && /already exists.*`overwrite`/.test(e.message));
    assert.ok(!existsSync(join(root, 'dose_10000')), 'nothing written for the other dose either');
    assert.ok(readFileSync(file).equals(before));
    assert.equal(statSync(file).mtimeMs, mtime);
    await generate(preset, { outputRoot: root, doses: [1e4] });
    await generate(preset, { outputRoot: root, doses: [1e3], seed: 7, overwrite: true });
    assert.ok(!readFileSync(file).equals(before), 'replaced with --overwrite');
    assert.ok(existsSync(join(root, 'dose_10000', 'patched_train.npz')) && existsSync(join(root, 'dose_10000', 'patched_test.npz')),
      'a run of one dose leaves the other doses\' files where they are');
    const manifest = JSON.parse(readFileSync(join(root, 'run_manifest.json'), 'utf8')) as Record<string, { seed?: number }>;
    assert.deepEqual(Object.keys(manifest), ['dose_1000', 'dose_10000', '_run']);
    assert.equal(manifest.dose_1000.seed, 7);
    assert.equal(manifest.dose_10000.seed, 42);
    assert.deepEqual(readdirSync(join(root, 'dose_1000')).sort(), ['patched_test.npz', 'patched_train.npz'], 'no temporary files left');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('bad doses, image counts and output roots are refused before anything is written', async () => {
  const root = tmp();
  try {
    const preset = tiny(40);
    const out = join(root, 'out');
    for (const doses of [[0], [-1e3], [NaN], [Infinity], [], [1000, 1000.5]]) {
      await assert.rejects(generate(preset, { outputRoot: out, doses }), UsageError, `doses ${doses}`);
    }
    for (const nImages of [0, 1, 2.5, -3]) {
      await assert.rejects(generate(preset, { outputRoot: out, doses: [1e3], nImages }), /`simulation\.nImages` \S+: expected an integer from 2 to 16777216 \(MAX_SCAN_POSITIONS\)/);
    }
    await assert.rejects(generate(preset, { outputRoot: out, doses: [1e3], timestamp: 'yesterday' }), /timestamp/);
    assert.ok(!existsSync(out), 'output root not even created');
    const file = join(root, 'a-file');
    saveNpz(file, {});
    await assert.rejects(generate(preset, { outputRoot: file, doses: [1e3] }), /exists and is not a directory/);
    await assert.rejects(generate(preset, { outputRoot: join(file, 'below'), doses: [1e3] }), /is not a directory/);
    assert.equal(parseDose('1e4'), 1e4);
    for (const t of ['abc', '', '0', '-5', 'NaN', 'Infinity', '1e400']) assert.throws(() => parseDose(t), /--dose: expected a positive number/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--base-npz: uses its object and probe; missing keys are named', async () => {
  const root = tmp();
  try {
    const N = 16, H = 48, W = 56;
    const obj = new Float32Array(2 * H * W), probe = new Float32Array(2 * N * N);
    const r = new Rng(1);
    for (let i = 0; i < H * W; i++) { const a = 0.7 + 0.3 * r.uniform(), p = r.uniform() - 0.5; obj[2 * i] = a * Math.cos(p); obj[2 * i + 1] = a * Math.sin(p); }
    for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) probe[2 * (y * N + x)] = Math.exp(-((y - 8) ** 2 + (x - 8) ** 2) / 8);
    const base = join(root, 'base.npz');
    saveNpz(base, {
      objectGuess: { dtype: '<c8', shape: [H, W], data: obj },
      probeGuess: { dtype: '<c8', shape: [N, N], data: probe },
      xcoords: { dtype: '<f8', shape: [30], data: new Float64Array(30) },
    });
    const preset = tiny();
    const out = join(root, 'c');
    const res = await generate(preset, { outputRoot: out, doses: [1e4], baseNpz: base, timestamp: '2025-01-02T03:04:05Z' });
    assert.equal(res.patchSize, N);
    assert.equal(res.nPositions, 30, 'image count from the base file\'s xcoords');
    const ds = loadDataset(join(out, 'dose_10000', 'patched_test.npz'));
    assert.deepEqual(ds.objectGuess!.data, obj);
    assert.deepEqual(ds.probeGuess.data, probe);
    assert.equal(ds.H, N);
    const info = ds.metadata!.creation_info as Record<string, string>;
    assert.equal(info.timestamp, '2025-01-02T03:04:05Z');
    assert.equal((ds.metadata!.additional_parameters as Record<string, string>).input_file, base);

    const noProbe = join(root, 'noprobe.npz');
    saveNpz(noProbe, { objectGuess: { dtype: '<c8', shape: [H, W], data: obj } });
    await assert.rejects(generate(preset, { outputRoot: join(root, 'd'), doses: [1e3], baseNpz: noProbe }),
      (e: unknown) => e instanceof InputError && /missing key 'probeGuess'/.test(e.message) && e.message.includes(noProbe));
    const realObj = join(root, 'realobj.npz');
    saveNpz(realObj, { objectGuess: { dtype: '<f4', shape: [H, W], data: new Float32Array(H * W) }, probeGuess: { dtype: '<c8', shape: [N, N], data: probe } });
    await assert.rejects(generate(preset, { outputRoot: join(root, 'd'), doses: [1e3], baseNpz: realObj }),
      /key 'objectGuess' must be complex.*found dtype <f4/);
    await assert.rejects(generate(preset, { outputRoot: join(root, 'd'), doses: [1e3], baseNpz: join(root, 'nope.npz') }), /no such file/);
    assert.ok(!existsSync(join(root, 'd')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('numpy.load reads the generated files without pickle, and the metadata is JSON', async (t) => {
  const py = numpyPython();
  if (!py) { t.skip('numpy not available'); return; }
  const root = tmp();
  try {
    const preset = tiny(50);
    await generate(preset, { outputRoot: root, doses: [1e4] });
    const script = [
      'import json, sys, numpy as np',
      'd = np.load(sys.argv[1], allow_pickle=False)',
      'm = json.loads(d["_metadata"].item())',
      's = m["intensity_scale"]',
      'c = (d["diffraction"].astype(np.float64) * s) ** 2',
      'out = {k: [str(d[k].dtype), list(d[k].shape)] for k in d.files}',
      'out["int_err"] = float(np.abs(c - np.round(c)).max())',
      'out["split"] = [t for t in m["data_transformations"] if t["operation"] == "train_test_split"][0]["parameters"]["train_count"]',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(py, ['-c', script, join(root, 'dose_10000', 'patched_train.npz')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(info.diffraction, ['float32', [info.split, 32, 32]]);
    assert.deepEqual(info.objectGuess, ['complex64', [96, 96]]);
    assert.deepEqual(info.probeGuess, ['complex64', [32, 32]]);
    assert.deepEqual(info.xcoords, ['float64', [info.split]]);
    assert.deepEqual(info.scan_index, ['int64', [info.split]]);
    assert.equal((info._metadata as [string, number[]])[1].length, 0, '_metadata is 0-d');
    assert.ok((info._metadata as string[])[0].startsWith('<U'));
    assert.ok((info.int_err as number) < 0.01);
    const meta = readMetadata(loadNpz(join(root, 'dose_10000', 'patched_train.npz'), ['_metadata']));
    assert.equal(meta.status, 'ok');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('simulation plan (reference build_simulation_plan): dose, photons, images, seed, N, grid size', () => {
  const root = tmp();
  try {
    const plan = planSimulation(parseStudySettings({ preset: 'fly64', simulation: { doses: [1e4] } }), { outputRoot: root });
    const job = plan.jobs[0]!;
    assert.equal(job.dose, 1e4);
    assert.equal(job.nphotons, 10000);
    assert.equal(plan.nPositions, 10304);
    assert.equal(plan.seed, 42);
    assert.equal(plan.patchSize, 128);
    assert.equal(job.gridsize, 1);
    assert.throws(() => parseStudySettings({ simulation: { doses: [-1] } }), /`simulation\.doses\.0` -1: expected positive numbers of photons per pattern/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a PtychoPINN Phase C file with pickled _metadata works as --base-npz', async () => {
  const fixture = 'test/fixtures/numpy/phase_c_dataset.npz'; // _metadata is a pickled 0-d object array
  const root = tmp();
  try {
    const plan = planSimulation(parseStudySettings({ simulation: { doses: [1e4], baseNpz: fixture } }), { outputRoot: root });
    assert.equal(plan.nPositions, 3, 'image count from the base file\'s xcoords');
    assert.equal(plan.patchSize, 8);
    assert.deepEqual(plan.objectShape, [16, 16]);
    const res = await generate({}, { outputRoot: root, doses: [1e4], baseNpz: fixture, nImages: 12 });
    assert.equal(res.nPositions, 12);
    const base = loadNpz(fixture, ['objectGuess']);
    const ds = loadDataset(join(root, 'dose_10000', 'patched_train.npz'));
    assert.deepEqual(ds.objectGuess!.data, base.objectGuess.data);
    assert.ok(!('_metadata' in ds.extra));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
