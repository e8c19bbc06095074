import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePhaseCDose, studySplit, corrupt, tempDir } from '../study/overlap-fixtures.js';
import { loadNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import { validateDataset } from '../../src/data/dataset.js';

const cli = 'dist/src/cli/main.js';

function overlap(...args: string[]) {
  return spawnSync(process.execPath, [cli, 'overlap', ...args], { encoding: 'utf8' });
}

/** A Python with NumPy: `python3`, else `/usr/bin/python3`; null when neither has it. */
function numpyPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0) return py;
  }
  return null;
}

// NumPy reads every view with allow_pickle=False and checks that `_metadata` tells the truth about the arrays.
const NUMPY_CHECK = `
import json, sys, numpy as np
out, src_root = sys.argv[1], sys.argv[2]
checked = 0
for dose in ("dose_1000", "dose_10000"):
    for view, f in (("dense", 0.7), ("sparse", 0.2)):
        for split in ("train", "test"):
            z = np.load(f"{out}/{dose}/{view}/{view}_{split}.npz", allow_pickle=False)
            src = np.load(f"{src_root}/{dose}/patched_{split}.npz", allow_pickle=False)
            meta = json.loads(z["_metadata"].item())
            assert z["_metadata"].dtype.kind == "U" and z["_metadata"].shape == (), z["_metadata"].dtype
            idx = z["source_indices"]
            assert idx.dtype == np.int64
            n = src["xcoords"].shape[0]
            k = idx.shape[0]
            assert meta["n_accepted"] == k and meta["n_rejected"] == n - k, meta
            assert abs(meta["acceptance_rate"] - k / n) < 1e-15
            assert meta["overlap_view"] == view and meta["selection_strategy"] in ("direct", "greedy")
            S = (1 - f) * src["diffraction"].shape[1]
            assert abs(meta["spacing_threshold"] - S) < 1e-12
            assert (np.diff(idx) > 0).all()
            for key in ("xcoords", "ycoords", "diffraction", "Y", "scan_index"):
                assert z[key].shape[0] == k and np.array_equal(z[key], src[key][idx]), key
            assert np.array_equal(z["objectGuess"], src["objectGuess"]) and z["objectGuess"].dtype == np.complex64
            xy = np.stack([z["xcoords"], z["ycoords"]], 1)
            d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
            d[np.arange(k), np.arange(k)] = np.inf
            assert d.min() >= S, (d.min(), S)
            assert meta["acceptance_rate"] <= meta["geometry_acceptance_bound"] <= 1
            assert meta["parent"]["physics_parameters"]["nphotons"] == 1000
            bundle = json.load(open(f"{out}/{dose}/{view}/metrics_bundle.json"))
            assert bundle[split]["n_accepted"] == k
            checked += 1
print(checked)
`;

test('overlap CLI: builds every dose × view × split; NumPy reads files and metadata with allow_pickle=False', (t) => {
  const root = tempDir('cli-c');
  const out = join(tempDir('cli-d'), 'phase_d');
  writePhaseCDose(root, 1000, studySplit(250, 1), studySplit(230, 2));
  writePhaseCDose(root, 10000, studySplit(250, 1), studySplit(230, 2));
  const r = overlap('--phase-c-root', root, '--output-root', out, '--seed', '3');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /overlap: dose_1000 train: 250 positions, N = 16/);
  assert.match(r.stderr, /overlap: dose_10000 sparse test: kept \d+ of 230 \(greedy, S = 12\.8 px\)/);
  assert.match(r.stdout, /dose_1000 dense train: \d+\/250 kept \(greedy\)/);
  assert.match(r.stdout, /manifest: .*overlap_manifest\.json/);
  const python = numpyPython();
  if (!python) { t.skip('numpy not available'); return; }
  const py = spawnSync(python, ['-c', NUMPY_CHECK, out, root], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  assert.equal(py.stdout.trim(), '8');
});

test('overlap CLI: a corrupted Phase C file fails that dose (exit 1), the other doses are still written', () => {
  const root = tempDir('cli-c');
  const out = tempDir('cli-d');
  writePhaseCDose(root, 1000, studySplit(100, 1), studySplit(100, 2));
  writePhaseCDose(root, 10000, studySplit(100, 1), studySplit(100, 2));
  corrupt(join(root, 'dose_1000', 'patched_train.npz'));
  const r = overlap('--phase-c-root', root, '--output-root', out);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /dose_1000 failed: .*dose_1000.patched_train\.npz/);
  assert.match(r.stderr, /1 of 2 dose\(s\) failed/);
  assert.match(r.stdout, /dose_1000: FAILED/);
  assert.ok(existsSync(join(out, 'dose_10000', 'dense', 'dense_test.npz')));
  assert.ok(existsSync(join(out, 'dose_10000', 'sparse', 'metrics_bundle.json')));
});

test('overlap CLI: the reference\'s legacy flags --doses and --views (space-separated lists) select doses and views', () => {
  const root = tempDir('cli-c');
  for (const dose of [1000, 10000, 100000]) writePhaseCDose(root, dose, studySplit(60, 1), studySplit(60, 2));
  const out = tempDir('cli-d');
  const r = overlap('--phase-c-root', root, '--output-root', out, '--doses', '1000', '1e5', '--views', 'sparse');
  assert.equal(r.status, 0, r.stderr);
  for (const dose of ['dose_1000', 'dose_100000']) {
    assert.ok(existsSync(join(out, dose, 'sparse', 'sparse_train.npz')), `${dose} sparse`);
    assert.ok(!existsSync(join(out, dose, 'dense')), `${dose}: no dense view`);
  }
  assert.ok(!existsSync(join(out, 'dose_10000')), 'a dose not named is not built');
  // the same selection by --dose / --view, and both spellings together
  const out2 = tempDir('cli-d');
  assert.equal(overlap('--phase-c-root', root, '--output-root', out2, '--dose', '1000', '--doses', '1e5', '--views', 'sparse').status, 0);
  assert.deepEqual(readFileSync(join(out2, 'dose_100000', 'sparse', 'sparse_test.npz')), readFileSync(join(out, 'dose_100000', 'sparse', 'sparse_test.npz')));
  assert.ok(!existsSync(join(out2, 'dose_10000')));
  const fresh = join(tempDir('cli-d'), 'never');
  const bad = overlap('--phase-c-root', root, '--output-root', fresh, '--views', 'dense', 'medium');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--view medium: expected one of dense, sparse/);
  assert.ok(!existsSync(fresh));
});

test('overlap CLI: bad usage exits 2 and writes nothing; existing outputs need --overwrite', () => {
  const root = tempDir('cli-c');
  writePhaseCDose(root, 1000, studySplit(60, 1), studySplit(60, 2));
  const fresh = join(tempDir('cli-d'), 'never');
  const cases: [string[], RegExp][] = [
    [['--output-root', fresh], /--phase-c-root is required/],
    [['--phase-c-root', root], /--out is required/],
    [['--phase-c-root', root, '--output-root', fresh, '--view', 'medium'], /^ptychostudy overlap: --view medium: expected one of dense, sparse\n$/],
    [['--phase-c-root', root, '--output-root', fresh, '--view', 'dense,'], /--view <view>' argument 'dense,' is invalid\. an empty item/],
    [['--phase-c-root', root, '--output-root', fresh, '--views', 'dense', 'sparse,,'], /^ptychostudy overlap: --views sparse,,: an empty item/],
    [['--phase-c-root', root, '--output-root', fresh, '--dose', 'abc'], /--dose: expected a positive number/],
    [['--phase-c-root', root, '--output-root', fresh, '--dose', '1e4'], /no dose_10000 directory/],
    [['--phase-c-root', root, '--output-root', fresh, '--seed', '1.5'], /^ptychostudy overlap: --seed 1\.5: expected a non-negative integer\n$/],
    [['--phase-c-root', root, '--output-root', fresh, '--probe-diameter-px', '-3'], /^ptychostudy overlap: --probe-diameter-px -3: expected a positive number\n$/],
    [['--phase-c-root', join(root, 'missing'), '--output-root', fresh], /is not a directory/],
    [['--phase-c-root', root, '--output-root', fresh, '--no-such-flag'], /unknown option/],
  ];
  for (const [args, re] of cases) {
    const r = overlap(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.ok(!existsSync(fresh), `${args.join(' ')} wrote ${fresh}`);
  }
  const out = tempDir('cli-d');
  assert.equal(overlap('--phase-c-root', root, '--output-root', out, '--dose', '1e3', '--view', 'sparse').status, 0);
  const file = join(out, 'dose_1000', 'sparse', 'sparse_train.npz');
  const before = readFileSync(file);
  const again = overlap('--phase-c-root', root, '--output-root', out, '--view', 'sparse');
  assert.equal(again.status, 2);
  assert.match(again.stderr, /sparse_train\.npz already exists .*pass --overwrite/);
  assert.ok(!existsSync(join(out, 'dose_1000', 'dense')), 'a refused run writes nothing');
  const manifest = readFileSync(join(out, 'overlap_manifest.json'));
  assert.equal(overlap('--phase-c-root', root, '--output-root', out, '--overwrite').status, 0);
  assert.deepEqual(readFileSync(file), before, 'same seed, same bytes');
  assert.ok(existsSync(join(out, 'dose_1000', 'dense', 'dense_test.npz')));
  // the files of the same bytes are not kept twice, but the manifest the run rewrote is kept as it was
  const kept = readdirSync(join(out, 'history'));
  assert.equal(kept.length, 1);
  assert.deepEqual(readdirSync(join(out, 'history', kept[0]!)), ['overlap_manifest.json']);
  assert.deepEqual(readFileSync(join(out, 'history', kept[0]!, 'overlap_manifest.json')), manifest);
});

test('overlap CLI: an --out that is a file is bad usage (exit 2, one line), and the file is left as it was', () => {
  const root = tempDir('cli-c');
  writePhaseCDose(root, 1000, studySplit(60, 1), studySplit(60, 2));
  const file = join(tempDir('cli-d'), 'a-file');
  writeFileSync(file, 'not a directory\n');
  const r = overlap('--phase-c-root', root, '--out', file);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^ptychostudy overlap: \S*a-file exists and is not a directory\n$/);
  assert.equal(readFileSync(file, 'utf8'), 'not a directory\n');
});

test('overlap CLI over real `generate` output (quick preset, one dose): valid datasets with Phase C provenance', (t) => {
  const phaseC = join(tempDir('e2e'), 'phase_c');
  const phaseD = join(tempDir('e2e'), 'phase_d');
  const g = spawnSync(process.execPath, [cli, 'generate', '--output-root', phaseC, '--preset', 'quick', '--dose', '1000'], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  const r = overlap('--phase-c-root', phaseC, '--output-root', phaseD);
  assert.equal(r.status, 0, r.stderr);
  for (const view of ['dense', 'sparse']) {
    for (const split of ['train', 'test']) {
      const file = join(phaseD, 'dose_1000', view, `${view}_${split}.npz`);
      const arrays = loadNpz(file);
      const { dataset } = validateDataset(arrays, file); // the DATA-001 contract holds for the view
      const src = loadNpz(join(phaseC, 'dose_1000', `patched_${split}.npz`));
      const m = (readMetadata(arrays) as { value: Record<string, unknown> }).value;
      const parent = (readMetadata(src) as { value: Record<string, unknown> }).value;
      assert.deepEqual(m['parent'], parent, 'the Phase C metadata is kept whole under parent');
      assert.equal(m['intensity_scale'], parent['intensity_scale']);
      assert.equal(m['patch_size'], 64);
      assert.equal(m['n_accepted'], dataset.xcoords.length);
      assert.equal((m['n_accepted'] as number) + (m['n_rejected'] as number), src['xcoords'].shape[0]);
      assert.equal(m['insufficient_positions'], false);
    }
  }
  const python = numpyPython();
  if (!python) { t.skip('numpy not available'); return; }
  const py = spawnSync(python, ['-c', `
import json, sys, numpy as np
for view in ("dense", "sparse"):
    for split in ("train", "test"):
        z = np.load(f"${phaseD}/dose_1000/{view}/{view}_{split}.npz", allow_pickle=False)
        m = json.loads(z["_metadata"].item())
        assert m["n_accepted"] == z["diffraction"].shape[0] == z["source_indices"].shape[0]
        assert m["parent"]["data_transformations"][0]["tool"] == "transpose_rename_convert"
print("ok")
`], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  assert.equal(py.stdout.trim(), 'ok');
});

test('--order raster visits the positions by y, then x (the reference\'s greedy selection) and says so in the view and the manifest', () => {
  const dir = tempDir('overlap-order');
  const root = join(dir, 'c');
  writePhaseCDose(root, 1000, studySplit(120, 1), studySplit(110, 2));
  const seeded = overlap('--phase-c-root', root, '--out', join(dir, 'seeded'), '--view', 'dense');
  assert.equal(seeded.status, 0, seeded.stderr);
  const r = overlap('--phase-c-root', root, '--out', join(dir, 'raster'), '--view', 'dense', '--order', 'raster');
  assert.equal(r.status, 0, r.stderr);
  const meta = (out: string): Record<string, unknown> => {
    const m = readMetadata(loadNpz(join(dir, out, 'dose_1000', 'dense', 'dense_train.npz'))['_metadata']!);
    assert.equal(m.status, 'ok');
    return m.status === 'ok' ? m.value : {};
  };
  assert.equal(meta('raster')['order'], 'raster');
  assert.equal(meta('seeded')['order'], undefined);
  assert.match(String(meta('raster')['visiting_order']), /sorted by y, then x, then index/);
  const manifest = JSON.parse(readFileSync(join(dir, 'raster', 'overlap_manifest.json'), 'utf8')) as { doses: Record<string, { views: Record<string, { order?: string }> }> };
  assert.equal(manifest.doses['dose_1000']!.views['dense']!.order, 'raster');
  const bad = overlap('--phase-c-root', root, '--out', join(dir, 'bad'), '--order', 'yx');
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "ptychostudy overlap: --order yx: expected 'seeded' or 'raster'\n");
});
