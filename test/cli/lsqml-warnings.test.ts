/** `ptychostudy lsqml` prints what the input reading and the engine warned of, one `warning:` line each, on stderr. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import { tempDir } from '../tmp.js';
import { fixtureEntries, writeHdf5 } from '../data/cxi-builder.js';
import { settingsLsqmlIgnores } from '../../src/cli/options.js';
import { readSettingsFile } from '../../src/settings/file.js';

test('ptychostudy lsqml prints the warnings it records in _metadata.warnings', () => {
  const out = mkdtempSync(join(tmpdir(), 'ptychostudy-lsqml-warnings-'));
  try {
    const input = resolve('test/fixtures/cxi/scan.ptyd');
    // with the detector mask off, its PtyPy weights are reported as not applied
    const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lsqml', '--input', input, '--out', join(out, 'job'), '--epochs', '2',
      '--init-probe', `file:${resolve('test/fixtures/cxi/probe.ptyr')}`, '--no-detector-mask'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const printed = r.stderr.split('\n').filter((l) => l.startsWith('warning: ')).map((l) => l.slice('warning: '.length));
    const m = readMetadata(loadNpz(join(out, 'job', 'reconstruction.npz'))._metadata!);
    assert.equal(m.status, 'ok');
    const recorded = (m as { value: Record<string, unknown> }).value.warnings as string[];
    assert.ok(recorded.some((w) => w.includes("keys 'chunks/*/weights'")), recorded.join(' | '));
    assert.deepEqual(printed, recorded);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a probe with more incoherent modes than the reconstruction uses says which are not used', () => {
  const out = tempDir('lsqml-probe-modes');
  const run = (name: string, modes: string): { printed: string[]; meta: Record<string, unknown> } => {
    const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lsqml', '--input', resolve('test/fixtures/cxi/scan-noprobe.cxi'),
      '--out', join(out, name), '--epochs', '2', '--modes', modes, '--init-probe', `file:${resolve('test/fixtures/cxi/probe-product.h5')}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const m = readMetadata(loadNpz(join(out, name, 'reconstruction.npz'))._metadata!);
    assert.equal(m.status, 'ok');
    return { printed: r.stderr.split('\n').filter((l) => l.startsWith('warning: ')).map((l) => l.slice('warning: '.length)), meta: (m as { value: Record<string, unknown> }).value };
  };
  // The product holds 2 modes: one of them used ...
  const one = run('one', '1');
  assert.match(String(one.meta.init_probe), /probe-product\.h5: probe \(mode 0 of 2\)$/);
  assert.deepEqual(one.printed, one.meta.warnings);
  assert.ok(one.printed.some((w) => /the probe has 2 incoherent modes; the reconstruction uses 1 \(reconstruction\.modes, --modes\), so mode 1 is not used/.test(w)), one.printed.join(' | '));
  // ... or mode 0 and two Hermite modes: the file's mode 1 is not used either.
  const three = run('three', '3');
  assert.match(String(three.meta.init_probe), /probe-product\.h5: probe \(mode 0 of 2, \+2 Hermite modes\)$/);
  assert.ok(three.printed.some((w) => /uses 3 .*so mode 1 is not used/.test(w)), three.printed.join(' | '));
  // As many modes as the file holds: nothing to say.
  const two = run('two', '2');
  assert.match(String(two.meta.init_probe), /probe-product\.h5: probe$/);
  assert.ok(!two.printed.some((w) => /incoherent modes/.test(w)), two.printed.join(' | '));
});

test('patterns without a single count (an aborted scan\'s unwritten rows) are named in a warning', async () => {
  const dir = tempDir('lsqml-empty-patterns');
  const entries = await fixtureEntries();
  const D = 'entry_1/data_1/data';
  const counts = Uint32Array.from(entries[D]!.data as Uint32Array);
  counts.fill(0, 35 * 32 * 32); // the last 5 of 40 patterns never written
  const file = join(dir, 'aborted.cxi');
  writeHdf5(file, { ...entries, [D]: { ...entries[D]!, data: counts } });
  const run = (name: string, extra: string[]): { printed: string[]; recorded: string[] } => {
    const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lsqml', '--input', file, '--out', join(dir, name), '--epochs', '2', ...extra], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const m = readMetadata(loadNpz(join(dir, name, 'reconstruction.npz'))._metadata!);
    assert.equal(m.status, 'ok');
    return { printed: r.stderr.split('\n').filter((l) => l.startsWith('warning: ')).map((l) => l.slice('warning: '.length)),
      recorded: (m as { value: Record<string, unknown> }).value.warnings as string[] };
  };
  const all = run('all', []);
  assert.deepEqual(all.printed, all.recorded);
  assert.deepEqual(all.recorded.filter((w) => /no counts/.test(w)), [`${file}: key '${D}': 5 of 40 patterns hold no counts at all (patterns 35, 36, 37, 38, 39); ` +
    'a frame never recorded (an aborted scan\'s preallocated rows) is reconstructed as a measured zero; --n-images 35 leaves them out']);
  // Left out: nothing to say.
  assert.ok(!run('first35', ['--n-images', '35']).recorded.some((w) => /no counts/.test(w)));
});

test('a settings file that asks for SLURM: lsqml says it runs on this machine', () => {
  const out = tempDir('lsqml-config-slurm');
  const config = join(out, 'study.json');
  writeFileSync(config, JSON.stringify({ execution: { executor: 'slurm', jobs: 3 }, reconstruction: { epochs: 2, nImages: 1000 },
    simulation: { doses: [1e5], seed: 7 }, overlap: { seed: 456 } })); // overlap.seed at its default: not named
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lsqml', '--input', resolve('test/fixtures/cxi/scan.ptyd'), '--out', join(out, 'job'),
    '--config', config, '--init-probe', `file:${resolve('test/fixtures/cxi/probe.ptyr')}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^warning: --config .*study\.json: execution\.executor 'slurm' applies to run, generate, overlap and reconstruct; lsqml runs on this machine$/m);
  assert.match(r.stderr, /^warning: --config .*study\.json: lsqml runs one reconstruction and ignores simulation\.doses, simulation\.seed, execution\.jobs \(settings of the study commands\)$/m);
  assert.match(r.stdout, /in 2 epochs/);
  // more patterns asked for than the file holds: said, not silently capped
  const n = /^reconstructed (\d+) positions/.exec(r.stdout)![1];
  assert.match(r.stderr, new RegExp(`^warning: reconstruction\\.nImages 1000 \\(--config .*study\\.json\\): .*scan\\.ptyd holds ${n} patterns; all of them were used$`, 'm'));
  // stdout ends with the paths of the files it wrote, each there
  const files = r.stdout.trim().split('\n').slice(1);
  assert.deepEqual(files.map((f) => f.split('/').pop()), ['reconstruction.npz', 'reconstruction.png', 'reconstruction_run.json', 'lsqml.log']);
  for (const f of files) assert.ok(existsSync(f), f);
});

test('a refused run with a settings file that asks for SLURM and holds study settings prints only why it was refused', () => {
  const out = tempDir('lsqml-config-refused');
  const config = join(out, 'study.json');
  writeFileSync(config, JSON.stringify({ execution: { executor: 'slurm', jobs: 3 }, simulation: { doses: [1e5] } }));
  const missing = join(out, 'none.cxi');
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lsqml', '--input', missing, '--out', join(out, 'job'), '--config', config], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `ptychostudy lsqml: --input ${missing}: no such file\n`);
});

test('a settings file config --print-defaults wrote, untouched, names nothing lsqml ignores; one changed, its settings', () => {
  const dir = tempDir('lsqml-config-defaults');
  const file = join(dir, 'defaults.yaml');
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'config', '--print-defaults'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(file, r.stdout);
  assert.deepEqual(settingsLsqmlIgnores(readSettingsFile(file)), []);
  assert.deepEqual(settingsLsqmlIgnores({ preset: 'quick' }), []);
  assert.deepEqual(settingsLsqmlIgnores({ preset: 'quick', overlap: { seed: 9 }, execution: { slurm: { partition: 'gpu' } } }),
    ['overlap.seed', 'execution.slurm.partition']);
  // a view the file leaves out (was: not named, only the views it gives were compared)
  assert.deepEqual(settingsLsqmlIgnores({ preset: 'quick', overlap: { views: { dense: 0.7 } } }), ['overlap.views.sparse']);
});
