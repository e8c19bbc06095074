import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import type { NdArray } from '../../src/npy/types.js';
import { UsageError } from '../../src/errors.js';
import { buildView, readPhaseCSplit, filterPerScan, visitingOrder, type PhaseCSplit } from '../../src/study/overlap/view.js';
import { runOverlap } from '../../src/study/overlap/phase.js';
import type { OverlapProgress } from '../../src/study/overlap/plan.js';
import { phaseDViewFiles as viewPaths } from '../../src/study/hub/layout.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { geometryAcceptance } from '../../src/geometry/spacing.js';
import { phaseCArrays, writePhaseCDose, corrupt, studySplit, tempDir, randomPositions, assertValidMaximal, type SplitSpec } from './overlap-fixtures.js';

const DENSE = 0.7, SPARSE = 0.2;

/** Phase D with the overlap settings `seed` and `overlapViews` (parsed as the CLI parses its flags) and the run's options. */
function buildOverlapViews(o: { phaseCRoot: string; outputRoot: string; doses?: number[]; views?: string[]; seed?: number;
  overwrite?: boolean; overlapViews?: Record<string, number> }, onProgress?: (p: OverlapProgress) => void) {
  return (async () => runOverlap(parseStudySettings({ overlap: { seed: o.seed, views: o.overlapViews } }),
    { phaseCRoot: o.phaseCRoot, outputRoot: o.outputRoot, doses: o.doses, views: o.views, overwrite: o.overwrite }, onProgress))();
}

function meta(arrays: Record<string, NdArray>): Record<string, unknown> {
  const m = readMetadata(arrays);
  assert.equal(m.status, 'ok', `metadata unreadable: ${JSON.stringify(m)}`);
  return (m as { value: Record<string, unknown> }).value;
}

function vec(a: NdArray): number[] {
  return Array.from(a.data as ArrayLike<number | bigint>, Number);
}

/**
 * Everything a Phase D file must satisfy against its Phase C source: rows filtered by `source_indices`
 * (ascending), spacing ≥ S for every kept pair, maximality, copied object/probe, broadcast scalars, and
 * `_metadata` counts equal to what the arrays hold.
 */
function assertTruthfulView(src: Record<string, NdArray>, out: Record<string, NdArray>, view: string, s: number): Record<string, unknown> {
  const x = vec(src['xcoords']), y = vec(src['ycoords']);
  const n = x.length;
  const idx = vec(out['source_indices']);
  assert.equal(out['source_indices'].dtype, '<i8');
  const k = idx.length;
  // spacing of every kept pair, maximality over every rejected position, original order kept
  assertValidMaximal(x, y, s, idx);
  // per-scan arrays filtered by the same index set
  assert.deepEqual(vec(out['xcoords']), idx.map((i) => x[i]));
  assert.deepEqual(vec(out['ycoords']), idx.map((i) => y[i]));
  assert.deepEqual(vec(out['xcoords_start']), idx.map((i) => x[i]));
  assert.deepEqual(vec(out['scan_index']), idx);
  const N = src['diffraction'].shape[1];
  assert.deepEqual(out['diffraction'].shape, [k, N, N]);
  assert.equal(out['diffraction'].dtype, '<f4');
  for (let t = 0; t < k; t++) {
    assert.equal((out['diffraction'].data as Float32Array)[t * N * N + 3], idx[t], 'diffraction row follows its position');
    assert.equal((out['Y'].data as Float32Array)[2 * (t * N * N) + 1], -idx[t], 'Y row follows its position');
  }
  // non-per-scan arrays copied; 0-d scalars broadcast
  assert.deepEqual(out['objectGuess'], src['objectGuess']);
  assert.deepEqual(out['probeGuess'], src['probeGuess']);
  assert.deepEqual(out['dose'].shape, [k]);
  assert.ok(vec(out['dose']).every((v) => v === 1000));
  // metadata tells the truth about the arrays
  const m = meta(out);
  assert.equal(m['overlap_view'], view);
  assert.ok(Math.abs((m['spacing_threshold'] as number) - s) < 1e-12);
  assert.equal(m['n_accepted'], k);
  assert.equal(m['n_rejected'], n - k);
  assert.equal(m['n_positions'], n);
  assert.equal(m['acceptance_rate'], n ? k / n : 0);
  assert.equal(m['insufficient_positions'], k < 2);
  assert.equal(m['selection_strategy'], k === n ? 'direct' : 'greedy');
  const g = geometryAcceptance(Float64Array.from(x), Float64Array.from(y), s);
  assert.equal(m['geometry_acceptance_bound'], g.geometry_acceptance_bound);
  assert.equal(m['effective_min_acceptance'], g.effective_min_acceptance);
  assert.ok((m['acceptance_rate'] as number) <= (m['geometry_acceptance_bound'] as number), 'no selection beats the geometry bound');
  for (const key of ['overlap_view', 'spacing_threshold', 'source_file', 'n_accepted', 'n_rejected', 'acceptance_rate',
    'selection_strategy', 'geometry_acceptance_bound', 'effective_min_acceptance', 'seed', 'insufficient_positions', 'parent']) {
    assert.ok(key in m, `_metadata lacks ${key}`);
  }
  return m;
}

test('buildView: dense and sparse views of one split are truthful, maximal and within spacing', () => {
  const spec = studySplit(400, 1);
  const src = phaseCArrays(spec);
  const split = readPhaseCSplit(src, 'patched_train.npz');
  for (const [view, f] of [['dense', DENSE], ['sparse', SPARSE]] as const) {
    const r = buildView(split, { view, overlapFraction: f, split: 'train', seed: 456, sourceFile: 'patched_train.npz', dose: 1000 });
    const m = assertTruthfulView(src, r.arrays, view, (1 - f) * 16);
    assert.equal(m['selection_strategy'], 'greedy');
    assert.equal(m['seed'], 456);
    assert.equal(m['parent_metadata_status'], 'ok');
    assert.deepEqual((m['parent'] as Record<string, unknown>)['physics_parameters'], { nphotons: 1000, N: 16 });
    // metrics agree with the metadata
    assert.equal(r.metrics['n_accepted'], m['n_accepted']);
    assert.equal(r.metrics['n_images_total'], 400);
    assert.equal(r.metrics['probe_diameter_px'], 16);
    const m2 = r.metrics['metric_2_image_based_avg'] as number;
    assert.ok(m2 > 0 && m2 < 1, `metric 2 ${m2}`);
    const nn = r.metrics['nn_spacing'] as { min: number };
    assert.ok(nn.min >= (1 - f) * 16 - 1e-12, 'nearest-neighbour spacing of the view respects S');
    const cov = r.metrics['coverage_fraction'] as number;
    assert.ok(cov > 0 && cov <= 1);
  }
});

test('buildView: the selection is deterministic by seed and changes with it', () => {
  const src = phaseCArrays(studySplit(300, 2));
  const split = readPhaseCSplit(src, 'f');
  const req = { view: 'dense', overlapFraction: DENSE, split: 'train', sourceFile: 'f' };
  const a = buildView(split, { ...req, seed: 7 });
  const b = buildView(split, { ...req, seed: 7 });
  const c = buildView(split, { ...req, seed: 8 });
  assert.deepEqual(a.selected, b.selected);
  assert.deepEqual(a.metadata, b.metadata);
  assert.notDeepEqual(a.selected, c.selected);
  assert.deepEqual(visitingOrder(7, 'train', 300), visitingOrder(7, 'train', 300));
  assert.notDeepEqual(visitingOrder(7, 'train', 300), visitingOrder(7, 'test', 300));
});

test('buildView: direct strategy when every pair already satisfies S', () => {
  const xs: number[] = [], ys: number[] = [];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) { xs.push(10 + 14 * c); ys.push(10 + 14 * r); }
  const src = phaseCArrays({ x: xs, y: ys });
  const r = buildView(readPhaseCSplit(src, 'f'), { view: 'sparse', overlapFraction: 0.2, split: 'test', seed: 1, sourceFile: 'f' });
  // S = 0.8·16 = 12.8 < 14: everything is kept
  const m = assertTruthfulView(src, r.arrays, 'sparse', 12.8);
  assert.equal(m['selection_strategy'], 'direct');
  assert.equal(m['n_accepted'], 16);
  assert.equal(m['acceptance_rate'], 1);
});

test('buildView edge cases: 0 and 1 positions, all identical, S larger than the object — written and marked insufficient', () => {
  const cases: [string, SplitSpec, number, RegExp][] = [
    ['empty', { x: [], y: [] }, 0, /no positions/],
    ['one', { x: [40], y: [40] }, 1, /only 1 position/],
    ['identical', { x: new Array(12).fill(33.5), y: new Array(12).fill(20.25) }, 1, /all 12 input positions are identical/],
    ['S > object', { ...studySplit(50, 3, 128, 96), n: 128 }, 1, /fits at most 1 position at spacing/],
  ];
  for (const [label, spec, kept, reason] of cases) {
    const src = phaseCArrays(spec);
    const r = buildView(readPhaseCSplit(src, label), { view: 'sparse', overlapFraction: SPARSE, split: 'train', seed: 3, sourceFile: label });
    const m = assertTruthfulView(src, r.arrays, 'sparse', 0.8 * (spec.n ?? 16));
    assert.equal(m['n_accepted'], kept, label);
    assert.equal(m['insufficient_positions'], true, label);
    assert.match(m['insufficient_reason'] as string, reason, label);
    assert.equal(r.metrics['insufficient_positions'], true);
    assert.equal(r.metrics['metric_2_image_based_avg'], 0);
    if (label === 'empty') {
      assert.equal(m['acceptance_rate'], 0);
      assert.equal(m['geometry_acceptance_bound'], 0);
      assert.equal(r.arrays['diffraction'].shape[0], 0);
    }
  }
});

test('filterPerScan follows the reference study: per-scan rows filtered, 0-d broadcast, object/probe kept, _metadata dropped', () => {
  const arrays: Record<string, NdArray> = {
    xcoords: { dtype: '<f8', shape: [5], data: Float64Array.of(0, 1, 2, 3, 4) },
    dose: { dtype: '<f8', shape: [], data: Float64Array.of(1000) },
    rng_seed: { dtype: '<i8', shape: [], data: BigInt64Array.of(42n) },
    name: { dtype: '<U3', shape: [], data: ['abc'] },
    cplx: { dtype: '<c16', shape: [], data: Float64Array.of(1, -2) },
    objectGuess: { dtype: '<c8', shape: [5, 5], data: new Float32Array(50) },
    other: { dtype: '<f4', shape: [3, 2], data: new Float32Array(6) },
    _metadata: { dtype: '<U2', shape: [], data: ['{}'] },
  };
  const out = filterPerScan(arrays, 5, [0, 2, 4]);
  assert.deepEqual(vec(out['xcoords']), [0, 2, 4]);
  assert.deepEqual(out['dose'], { dtype: '<f8', shape: [3], data: Float64Array.of(1000, 1000, 1000) });
  assert.deepEqual(out['rng_seed'], { dtype: '<i8', shape: [3], data: BigInt64Array.of(42n, 42n, 42n) });
  assert.deepEqual(out['name'], { dtype: '<U3', shape: [3], data: ['abc', 'abc', 'abc'] });
  assert.deepEqual(out['cplx'], { dtype: '<c16', shape: [3], data: Float64Array.of(1, -2, 1, -2, 1, -2) });
  assert.equal(out['objectGuess'], arrays['objectGuess'], 'objectGuess is kept even when its first dimension equals n');
  assert.equal(out['other'], arrays['other']);
  assert.ok(!('_metadata' in out));
});

test('readPhaseCSplit refuses what breaks the dataset contract, naming the file and key', () => {
  const base = phaseCArrays(studySplit(10, 4));
  const { xcoords: _x, ...noX } = base;
  assert.throws(() => readPhaseCSplit(noX, 'a.npz'), /a\.npz: key 'xcoords': expected a required DATA-001 key/);
  const bad = { ...base, ycoords: { dtype: '<f8', shape: [10], data: new Float64Array(10).fill(NaN) } };
  assert.throws(() => readPhaseCSplit(bad, 'b.npz'), /b\.npz: key 'ycoords': expected finite coordinates/);
  const short = { ...base, diffraction: { dtype: '<f4', shape: [9, 16, 16], data: new Float32Array(9 * 256) } };
  assert.throws(() => readPhaseCSplit(short, 'c.npz'), /c\.npz: key 'xcoords'.*length 10 \(diffraction has n = 9\)/);
  const { Y: _y, ...noY } = base;
  const oblong = { ...noY, diffraction: { dtype: '<f4', shape: [10, 16, 8], data: new Float32Array(10 * 128) }, probeGuess: { dtype: '<c8', shape: [16, 8], data: new Float32Array(256) } };
  assert.throws(() => readPhaseCSplit(oblong, 'd.npz'), /d\.npz: key 'diffraction': expected square patterns/);
  // a legacy [H, W, n] diffraction is used as [n, H, W], and the warning is kept in the view's metadata
  const n = 10, N = 16;
  const legacy = new Float32Array(N * N * n);
  for (let i = 0; i < n; i++) for (let p = 0; p < N * N; p++) legacy[p * n + i] = i;
  const split = readPhaseCSplit({ ...base, diffraction: { dtype: '<f4', shape: [N, N, n], data: legacy } }, 'e.npz');
  assert.deepEqual(split.arrays['diffraction'].shape, [n, N, N]);
  const r = buildView(split, { view: 'dense', overlapFraction: DENSE, split: 'train', seed: 1, sourceFile: 'e.npz' });
  assertTruthfulView(base, r.arrays, 'dense', 0.3 * N);
  assert.match((r.metadata['input_warnings'] as string[])[0], /legacy \[H, W, n\] layout/);
});

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

test('buildOverlapViews: every dose × view × split written with metrics, bundle and manifest; parent metadata kept', async () => {
  const root = tempDir('phase-c');
  const out = join(tempDir('phase-d'), 'views');
  writePhaseCDose(root, 1000, studySplit(300, 10), studySplit(280, 11));
  writePhaseCDose(root, 100000, studySplit(300, 10), { ...studySplit(280, 11), metadata: 'none' });
  mkdirSync(join(root, 'not_a_dose'));
  const events: OverlapProgress[] = [];
  const summary = await buildOverlapViews({ phaseCRoot: root, outputRoot: out }, (p) => events.push(p));
  assert.equal(summary.failed, 0);
  assert.deepEqual(summary.doses.map((d) => d.dose), [1000, 100000]);
  for (const dose of [1000, 100000]) {
    for (const [view, f] of [['dense', DENSE], ['sparse', SPARSE]] as const) {
      const p = viewPaths(out, dose, view);
      const bundle = JSON.parse(readFileSync(p.bundle, 'utf8')) as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(bundle), ['train', 'test']);
      for (const split of ['train', 'test'] as const) {
        const src = loadNpz(join(root, `dose_${dose}`, `patched_${split}.npz`));
        const dst = loadNpz(p.npz[split]);
        const m = assertTruthfulView(src, dst, view, (1 - f) * 16);
        // relative to the Phase D root: the view holds no absolute path
        assert.equal(m['source_file'], relative(out, join(root, `dose_${dose}`, `patched_${split}.npz`)));
        assert.equal(resolve(out, m['source_file'] as string), join(root, `dose_${dose}`, `patched_${split}.npz`));
        assert.equal(m['seed'], 456);
        assert.equal(m['dose'], dose);
        if (dose === 100000 && split === 'test') {
          assert.equal(m['parent_metadata_status'], 'absent');
          assert.equal(m['parent'], null);
        } else {
          assert.equal(m['parent_metadata_status'], 'ok');
          assert.equal(((m['parent'] as { data_transformations: { tool: string }[] }).data_transformations)[0].tool, 'transpose_rename_convert');
        }
        const metrics = JSON.parse(readFileSync(p.metrics[split], 'utf8')) as Record<string, unknown>;
        assert.deepEqual(metrics, bundle[split]);
        for (const key of ['n_accepted', 'n_rejected', 'acceptance_rate', 'selection_strategy', 'geometry_acceptance_bound', 'effective_min_acceptance']) {
          assert.equal(metrics[key], m[key], `${key} differs between metrics and _metadata`);
        }
        assert.equal(metrics['metrics_version'], '1.0');
        // one position per group: no group-based metric 1, metrics 2 and 3 in [0, 1], the reference's counts
        assert.equal(metrics['gridsize'], 1);
        assert.ok(!('metric_1_group_based_avg' in metrics));
        for (const key of ['metric_2_image_based_avg', 'metric_3_group_to_group_avg']) {
          const v = metrics[key] as number;
          assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `${key} ${v}`);
        }
        assert.equal(metrics['n_images_total'], src['xcoords'].shape[0]);
        assert.equal(metrics['n_images_subsampled'], m['n_accepted']);
        assert.equal(metrics['n_groups_actual'], m['n_accepted']);
        assert.ok(Number.isInteger(metrics['n_unique_images']) && (metrics['n_unique_images'] as number) <= (m['n_accepted'] as number));
      }
    }
  }
  const manifest = JSON.parse(readFileSync(summary.manifest, 'utf8')) as { doses: Record<string, { status: string; views: Record<string, { train: string }> }> };
  assert.deepEqual(Object.keys(manifest.doses), ['dose_1000', 'dose_100000']);
  assert.equal(manifest.doses['dose_1000'].views['dense'].train, 'dose_1000/dense/dense_train.npz', 'relative to the Phase D root');
  assert.ok(events.some((e) => /dose_1000 dense train: kept \d+ of 300 \(greedy/.test(e.message)));
  assert.deepEqual(events.filter((e) => e.view).map((e) => e.done), [1, 2, 3, 4, 5, 6, 7, 8], 'one step per view file');
  assert.ok(events.every((e) => e.total === 8));
  // nothing else left behind (no temporary files)
  for (const f of listFiles(out)) assert.match(f, /(\.npz|_metrics\.json|metrics_bundle\.json|overlap_manifest\.json)$/);
});

test('buildOverlapViews: a corrupted Phase C file fails its dose only, with a clear error', async () => {
  const root = tempDir('phase-c');
  const out = tempDir('phase-d');
  writePhaseCDose(root, 1000, studySplit(200, 1), studySplit(200, 2));
  writePhaseCDose(root, 10000, studySplit(200, 1), studySplit(200, 2));
  writePhaseCDose(root, 100000, studySplit(200, 1), studySplit(200, 2));
  corrupt(join(root, 'dose_10000', 'patched_test.npz'));
  writeFileSync(join(root, 'dose_100000', 'patched_train.npz'), 'not a zip');
  const events: OverlapProgress[] = [];
  const summary = await buildOverlapViews({ phaseCRoot: root, outputRoot: out, views: ['sparse'] }, (e) => events.push(e));
  assert.equal(summary.failed, 2);
  const [ok, bad, junk] = summary.doses;
  assert.equal(ok.status, 'ok');
  assert.equal(bad.status, 'failed');
  assert.match(bad.error!, /dose_10000.patched_test\.npz/);
  assert.equal(junk.status, 'failed');
  assert.match(junk.error!, /dose_100000.patched_train\.npz/);
  assert.ok(existsSync(viewPaths(out, 1000, 'sparse').npz.test));
  assert.ok(!existsSync(viewPaths(out, 1000, 'dense').npz.test), 'only the selected view is built');
  assert.ok(!existsSync(join(out, 'dose_10000')), 'nothing is written for a dose whose input is broken');
  assert.ok(events.some((e) => /dose_10000 failed: .*patched_test\.npz/.test(e.message)));
  assert.deepEqual([events.at(-1)!.done, events.at(-1)!.total], [6, 6], 'a failed dose counts its view files as handled');
  const manifest = JSON.parse(readFileSync(summary.manifest, 'utf8')) as { doses: Record<string, { status: string; error?: string }> };
  assert.equal(manifest.doses['dose_10000'].status, 'failed');
  assert.match(manifest.doses['dose_10000'].error!, /patched_test\.npz/);
  assert.equal(manifest.doses['dose_1000'].status, 'ok');
});

test('buildOverlapViews: a broken parent _metadata is recorded, not guessed and not fatal', async () => {
  const root = tempDir('phase-c');
  const out = tempDir('phase-d');
  writePhaseCDose(root, 1000, { ...studySplit(100, 1), metadata: { raw: '{"nphotons": 1000,' } }, studySplit(100, 2));
  const summary = await buildOverlapViews({ phaseCRoot: root, outputRoot: out, views: ['dense'] });
  assert.equal(summary.failed, 0);
  const m = meta(loadNpz(viewPaths(out, 1000, 'dense').npz.train));
  assert.equal(m['parent_metadata_status'], 'error');
  assert.equal(m['parent'], null);
  assert.equal(typeof m['parent_metadata_error'], 'string');
});

test('buildOverlapViews: never overwrites without overwrite; same seed gives the same bytes; usage errors write nothing', async () => {
  const root = tempDir('phase-c');
  const out = join(tempDir('phase-d'), 'out');
  writePhaseCDose(root, 1000, studySplit(150, 1), studySplit(150, 2));
  await buildOverlapViews({ phaseCRoot: root, outputRoot: out, seed: 9 });
  const files = listFiles(out);
  const before = new Map(files.map((f) => [f, readFileSync(f)]));
  await assert.rejects(buildOverlapViews({ phaseCRoot: root, outputRoot: out, seed: 9 }), (e: unknown) => e instanceof UsageError && /already exists.*`overwrite`/.test(e.message));
  for (const f of files) assert.deepEqual(readFileSync(f), before.get(f), `${f} changed without --overwrite`);
  const same = await buildOverlapViews({ phaseCRoot: root, outputRoot: out, seed: 9, overwrite: true });
  for (const f of files) if (f.endsWith('.npz')) assert.deepEqual(readFileSync(f), before.get(f), `${f}: same seed, different bytes`);
  assert.equal(same.keptIn, null);
  assert.ok(!existsSync(join(out, 'history')), 'files rewritten with the same bytes are not kept twice');
  const manifestBefore = readFileSync(join(out, 'overlap_manifest.json'));
  const other = await buildOverlapViews({ phaseCRoot: root, outputRoot: out, seed: 10, overwrite: true });
  const dense = viewPaths(out, 1000, 'dense').npz.train;
  assert.notDeepEqual(readFileSync(dense), before.get(dense), 'another seed gives another selection');
  // what changed is kept, under its path in the root, with the manifest as it was
  assert.ok(other.keptIn !== null && other.keptIn.startsWith(join(out, 'history', 'replaced-')));
  assert.deepEqual(readFileSync(join(other.keptIn, relative(out, dense))), before.get(dense));
  assert.deepEqual(readFileSync(join(other.keptIn, 'overlap_manifest.json')), manifestBefore);
  for (const f of listFiles(other.keptIn)) {
    const was = join(out, relative(other.keptIn, f));
    if (!was.endsWith('overlap_manifest.json')) assert.deepEqual(readFileSync(f), before.get(was), `${f}: not the earlier ${was}`);
  }

  const fresh = join(tempDir('phase-d'), 'never');
  const bad: [object, RegExp][] = [
    [{ phaseCRoot: join(root, 'nope') }, /is not a directory/],
    [{ phaseCRoot: root, views: ['medium'] }, /unknown view 'medium'/],
    [{ phaseCRoot: root, doses: [5000] }, /no dose_5000 directory/],
    [{ phaseCRoot: root, seed: -1 }, /`overlap\.seed` -1: expected a non-negative integer/],
    [{ phaseCRoot: tempDir('empty') }, /no dose_<D> directories/],
    [{ phaseCRoot: root, overlapViews: { dense: 1.2 } }, /`overlap\.views\.dense` 1\.2: expected an overlap fraction in \[0, 1\)/],
  ];
  for (const [opts, re] of bad) {
    await assert.rejects(buildOverlapViews({ outputRoot: fresh, ...opts } as never), (e: unknown) => e instanceof UsageError && re.test(e.message));
    assert.ok(!existsSync(fresh), `a usage error wrote ${fresh}`);
  }
});

test('buildOverlapViews: one view and then the other into one root: the manifest records both, each with its seed', async () => {
  const root = tempDir('phase-c');
  const out = join(tempDir('phase-d'), 'views');
  writePhaseCDose(root, 1000, studySplit(150, 1), studySplit(150, 2));
  await buildOverlapViews({ phaseCRoot: root, outputRoot: out, views: ['sparse'], seed: 7 });
  const second = await buildOverlapViews({ phaseCRoot: root, outputRoot: out, views: ['dense'] });
  type Entry = { seed: number; views: Record<string, { seed: number; train: string; test: string }> };
  const manifest = JSON.parse(readFileSync(second.manifest, 'utf8')) as { doses: Record<string, Entry> };
  const views = manifest.doses['dose_1000']!.views;
  assert.deepEqual(Object.keys(views).sort(), ['dense', 'sparse'], 'the view the second run did not build lost its record');
  assert.equal(views['sparse']!.seed, 7);
  assert.equal(views['dense']!.seed, 456);
  for (const v of Object.values(views)) for (const f of [v.train, v.test]) assert.ok(existsSync(join(out, f)), f);
  assert.equal(meta(loadNpz(join(out, views['sparse']!.train)))['seed'], 7, 'the recorded seed is the file\'s');
});

test('views at different doses of the same positions hold the same positions (one visiting order per split)', async () => {
  const root = tempDir('phase-c');
  const out = tempDir('phase-d');
  const train = studySplit(250, 3), test = studySplit(250, 4);
  writePhaseCDose(root, 1000, train, test);
  writePhaseCDose(root, 10000, train, test);
  await buildOverlapViews({ phaseCRoot: root, outputRoot: out, views: ['dense'] });
  const a = loadNpz(viewPaths(out, 1000, 'dense').npz.train)['source_indices'];
  const b = loadNpz(viewPaths(out, 10000, 'dense').npz.train)['source_indices'];
  assert.deepEqual(a, b);
});

test('10 304 fly64-sized positions: both views are truthful (brute force), N = 128', () => {
  const { x, y } = randomPositions(10304, 64, 400, 42);
  // coordinates only: N = 128 patterns would be 675 MB, and the selection needs only the positions and N
  const split: PhaseCSplit = {
    arrays: { xcoords: { dtype: '<f8', shape: [10304], data: x }, ycoords: { dtype: '<f8', shape: [10304], data: y } },
    x, y, patchSize: 128, objectShape: null, parent: { status: 'absent' },
  };
  for (const [view, f] of [['dense', DENSE], ['sparse', SPARSE]] as const) {
    const s = (1 - f) * 128;
    const r = buildView(split, { view, overlapFraction: f, split: 'train', seed: 456, sourceFile: 'fly64' });
    const idx = vec(r.arrays['source_indices']);
    assertValidMaximal(x, y, s, idx);
    const m = r.metadata;
    assert.equal(m['n_accepted'], idx.length);
    assert.ok((m['acceptance_rate'] as number) <= (m['geometry_acceptance_bound'] as number));
    assert.equal(m['meets_effective_min_acceptance'], true);
  }
});
