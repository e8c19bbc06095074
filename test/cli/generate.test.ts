import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import { tempDir } from '../tmp.js';

const cli = 'dist/src/cli/main.js';

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, 'generate', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

test('generate --help explains every flag', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  for (const flag of ['--out', '--config', '--preset', '--dose', '--n-images', '--seed', '--base-npz', '--overwrite']) {
    assert.match(r.stdout, new RegExp(`${flag}\\b.*\\S`), `${flag} documented`);
  }
  assert.match(r.stdout, /quick/);
  assert.match(r.stdout, /fly64/);
});

test('bad doses and counts exit 2 with one line and write nothing', () => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-cli-gen-'));
  try {
    const out = join(root, 'c');
    for (const [args, re] of [
      // (every rejected dose spelling is covered by parseDose's unit test; one process each here)
      [['--dose', '1e3', '--dose', '0'], /^ptychostudy generate: --dose: expected a positive number of photons per pattern, found '0'$/m],
      [['--n-images', '1'], /--n-images 1: expected an integer from 2 to 16777216 \(MAX_SCAN_POSITIONS\)/],
    ] as Array<[string[], RegExp]>) {
      const r = run(['--output-root', out, ...args]);
      assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(out), `${args.join(' ')}: nothing written`);
    }
    // output root that is a file
    const file = join(root, 'file');
    writeFileSync(file, 'x');
    const r = run(['--output-root', file, '--dose', '1000', '--n-images', '10']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `ptychostudy generate: output root ${file} exists and is not a directory\n`);
    // base NPZ without probeGuess: exit 2 naming the key and file
    const base = join(root, 'base.npz');
    saveNpz(base, { objectGuess: { dtype: '<c8', shape: [40, 40], data: new Float32Array(3200) } });
    const r2 = run(['--output-root', out, '--base-npz', base]);
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /base NPZ .*base\.npz: missing key 'probeGuess'/);
    assert.ok(!existsSync(out));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a real run writes the dose directories and the manifest; a rerun refuses, --overwrite replaces and keeps what changed', () => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-cli-gen-'));
  try {
    const out = join(root, 'c');
    const args = ['--output-root', out, '--dose', '1000', '--dose', '1e4', '--n-images', '40', '--seed', '5'];
    const r = run(args, { SOURCE_DATE_EPOCH: '1700000000' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /INFO: Filtering to doses: 1000, 10000/);
    assert.match(r.stderr, /Dataset generation complete for dose=1000/);
    assert.deepEqual(readdirSync(out).sort(), ['dose_1000', 'dose_10000', 'run_manifest.json']);
    const manifest = JSON.parse(readFileSync(join(out, 'run_manifest.json'), 'utf8')) as Record<string, { dose: number; train: string; test: string }>;
    assert.equal(manifest.dose_10000.dose, 10000);
    assert.equal(manifest.dose_10000.train, 'dose_10000/patched_train.npz', 'relative to the Phase C root');
    assert.ok(existsSync(join(out, manifest.dose_10000.train)) && existsSync(join(out, manifest.dose_10000.test)));
    for (const d of [manifest.dose_1000, manifest.dose_10000]) { d.train = join(out, d.train); d.test = join(out, d.test); }
    const meta = readMetadata(loadNpz(manifest.dose_1000.train, ['_metadata']));
    assert.ok(meta.status === 'ok');
    assert.equal((meta.value.creation_info as Record<string, string>).timestamp, '2023-11-14T22:13:20.000Z', 'SOURCE_DATE_EPOCH recorded in the NPZ metadata');
    const before = readFileSync(manifest.dose_1000.train);
    const again = run(args);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /dose_1000.patched_train\.npz already exists \(use --overwrite to replace it\)/);
    assert.ok(readFileSync(manifest.dose_1000.train).equals(before));
    const firstManifest = readFileSync(join(out, 'run_manifest.json'));
    const over = run([...args, '--overwrite'], { SOURCE_DATE_EPOCH: '1700000000' });
    assert.equal(over.status, 0, over.stderr);
    assert.ok(readFileSync(manifest.dose_1000.train).equals(before), 'same seed and time: same bytes');
    // files rewritten with the same bytes are not kept twice; the manifest, rewritten with new times, is kept as it was
    const [sameSeed, ...more] = readdirSync(join(out, 'history'));
    assert.deepEqual(more, []);
    assert.deepEqual(readdirSync(join(out, 'history', sameSeed!)), ['run_manifest.json']);
    assert.ok(readFileSync(join(out, 'history', sameSeed!, 'run_manifest.json')).equals(firstManifest));
    assert.ok(!readFileSync(join(out, 'run_manifest.json')).equals(firstManifest), 'the manifest records the new run');
    assert.match(over.stderr, /the earlier files this run replaced moved to .*history.replaced-/);

    // another seed: the earlier files (and the manifest as it was) move to history/replaced-<time>/
    const manifestBefore = readFileSync(join(out, 'run_manifest.json'));
    const testBefore = readFileSync(manifest.dose_10000.test);
    const seed6 = run([...args.slice(0, -1), '6', '--overwrite'], { SOURCE_DATE_EPOCH: '1700000000' });
    assert.equal(seed6.status, 0, seed6.stderr);
    const kept = /the earlier files this run replaced moved to (.+)\n/.exec(seed6.stderr)?.[1];
    assert.ok(kept !== undefined && kept.startsWith(join(out, 'history', 'replaced-')), seed6.stdout);
    assert.deepEqual(readdirSync(join(out, 'history')).sort(), [sameSeed!, basename(kept)].sort());
    assert.ok(readFileSync(join(kept, 'dose_1000', 'patched_train.npz')).equals(before));
    assert.ok(readFileSync(join(kept, 'dose_10000', 'patched_test.npz')).equals(testBefore));
    assert.ok(readFileSync(join(kept, 'run_manifest.json')).equals(manifestBefore));
    assert.ok(!readFileSync(manifest.dose_1000.train).equals(before), 'the new data replaced the old');
    assert.equal((JSON.parse(readFileSync(join(out, 'run_manifest.json'), 'utf8')) as { _run: { seed: number } })._run.seed, 6);

    // a history that is a file: refused before anything is written
    const now = readFileSync(manifest.dose_1000.train);
    rmSync(join(out, 'history'), { recursive: true });
    writeFileSync(join(out, 'history'), 'x');
    const blocked = run([...args, '--overwrite']);
    assert.equal(blocked.status, 2);
    assert.match(blocked.stderr, /history: expected a directory \(where replaced outputs are kept\); found a file/);
    assert.ok(readFileSync(manifest.dose_1000.train).equals(now));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--n-images and --seed read as every command reads them: 1e2 is 100 positions, bounds are the settings schema\'s', () => {
  const out = join(tempDir('cli-gen-count'), 'c');
  const r = run(['--out', out, '--dose', '1e4', '--n-images', '1e2', '--seed', '7']);
  assert.equal(r.status, 0, r.stderr);
  const n = ['train', 'test'].map((s) => loadNpz(join(out, 'dose_10000', `patched_${s}.npz`))['diffraction']!.shape[0]!);
  assert.equal(n[0]! + n[1]!, 100);
  for (const [args, re] of [
    [['--n-images', '-3'], /^ptychostudy generate: --n-images -3: expected an integer from 2 to 16777216 \(MAX_SCAN_POSITIONS\)$/m],
    [['--n-images', '2.5'], /^ptychostudy generate: --n-images 2\.5: expected an integer$/m],
    [['--seed', '-1'], /^ptychostudy generate: --seed -1: expected a non-negative integer$/m],
  ] as Array<[string[], RegExp]>) {
    const fresh = join(tempDir('cli-gen-count'), 'c');
    const bad = run(['--out', fresh, '--dose', '1e4', ...args]);
    assert.equal(bad.status, 2, args.join(' '));
    assert.match(bad.stderr, re);
    assert.ok(!existsSync(fresh), `${args.join(' ')}: nothing written`);
  }
});
