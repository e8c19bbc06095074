/**
 * `run` with `reconstruction.initProbe: file:PATH`: a probe file that cannot serve the study's patterns (another
 * size) is refused before the study starts — one line naming the file and the key, exit 2, no hub written —
 * instead of failing every reconstruction after Phases C and D have run. A SLURM submission makes the same
 * check (study/slurm/submit.ts), and so does `reconstruct` against its inputs' pattern size (test/cli/reconstruct-e2e.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveNpz } from '../../src/npy/npz.js';
import { c64 } from '../../src/npy/types.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { checkStudyProbe, resumeStartFiles } from '../../src/study/run/study.js';
import type { RunState } from '../../src/study/run/state.js';
import { tempDir } from '../tmp.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function probeFile(dir: string, n: number): string {
  const path = join(dir, `probe${n}.npz`);
  saveNpz(path, { probeGuess: c64([n, n], new Float32Array(2 * n * n).fill(1)) });
  return path;
}

test('run refuses a probe file of another size than the study\'s patterns before writing anything', () => {
  const dir = tempDir('run-probe-file');
  const probe = probeFile(dir, 32);
  const yaml = join(dir, 'study.yaml');
  writeFileSync(yaml, 'reconstruction:\n  initProbe: file:probe32.npz\n');
  const hub = join(dir, 'hub');
  const r = spawnSync(process.execPath, [CLI, 'run', '--config', yaml, '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--out', hub],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`^ptychostudy run: ${esc(probe)}: key 'probeGuess': expected .*\\[64, 64\\].*; found .*\\[32, 32\\]`));
  assert.equal(existsSync(hub), false, 'nothing written');
});

test('the check passes a probe of the study\'s size; with a base NPZ its probe sets the size', async () => {
  const dir = tempDir('run-probe-file');
  const s = (probe: string, baseNpz: string | null = null) => parseStudySettings({ preset: 'quick', simulation: { baseNpz }, reconstruction: { initProbe: `file:${probe}` } });
  await checkStudyProbe(s(probeFile(dir, 64)));
  await assert.rejects(checkStudyProbe(s(probeFile(dir, 32))), /expected .*\[64, 64\]/);
  const base = join(dir, 'base.npz');
  saveNpz(base, { objectGuess: c64([96, 96], new Float32Array(2 * 96 * 96).fill(1)), probeGuess: c64([32, 32], new Float32Array(2 * 32 * 32).fill(1)) });
  await checkStudyProbe(s(probeFile(dir, 32), base));
  await assert.rejects(checkStudyProbe(s(probeFile(dir, 64), base)), /expected .*\[32, 32\]/);
  // a base NPZ that does not exist is left to Phase C, which names it
  await checkStudyProbe(s(probeFile(dir, 64), join(dir, 'absent.npz')));
});

test('run checks an object file against the simulated object\'s shape (or a base NPZ\'s objectGuess) before writing anything', async () => {
  const dir = tempDir('run-object-file');
  const object = (h: number, w: number): string => {
    const path = join(dir, `object${h}x${w}.npz`);
    saveNpz(path, { reconstructed_object: c64([h, w], new Float32Array(2 * h * w).fill(1)) });
    return path;
  };
  const s = (file: string, baseNpz: string | null = null) => parseStudySettings({ preset: 'quick', simulation: { baseNpz, objectShape: [70, 80] }, reconstruction: { initObject: `file:${file}` } });
  await checkStudyProbe(s(object(70, 80)));
  await assert.rejects(checkStudyProbe(s(object(80, 70))), /object80x70\.npz: key 'reconstructed_object': expected a complex object \[70, 80\].*; found shape \[80, 70\]/);
  const base = join(dir, 'base.npz');
  saveNpz(base, { objectGuess: c64([96, 96], new Float32Array(2 * 96 * 96).fill(1)), probeGuess: c64([32, 32], new Float32Array(2 * 32 * 32).fill(1)) });
  await checkStudyProbe(s(object(96, 96), base));
  await assert.rejects(checkStudyProbe(s(object(70, 80), base)), /expected a complex object \[96, 96\]/);
});

test('run refuses, before writing anything, probe settings every job would refuse: modes over N², a probe model without geometry, a radiation', async () => {
  const dir = tempDir('run-probe-settings');
  const s = (reconstruction: Record<string, unknown>) => parseStudySettings({ preset: 'quick', simulation: { patchSize: 4 }, reconstruction });
  await checkStudyProbe(s({ modes: 16 }));
  await assert.rejects(checkStudyProbe(s({ modes: 20 })),
    (e: Error) => e.message === 'reconstruction.modes 20: expected at most 16 incoherent probe modes (the 4×4 probe of the study (simulation.patchSize) has 16 pixels); found 20');
  await checkStudyProbe(s({ probeModel: 'aperture:diameter=1e-6,wavelength=1e-10,pixel=1e-8' }));
  await assert.rejects(checkStudyProbe(s({ probeModel: 'aperture:diameter=1e-6' })),
    /^UsageError: reconstruction\.probeModel: expected wavelength=…,pixel=… \(metres\) in the model, since the study's simulated data states no geometry; found aperture:diameter=1e-6$/);
  await assert.rejects(checkStudyProbe(s({ radiation: 'electron' })),
    /^UsageError: reconstruction\.radiation electron: expected null \(left out\), since the study's simulated datasets state no energy/);
  // through the CLI: one line, exit 2, no hub
  const yaml = join(dir, 'modes.yaml');
  writeFileSync(yaml, 'simulation:\n  patchSize: 4\nreconstruction:\n  modes: 20\n');
  const hub = join(dir, 'hub');
  const r = spawnSync(process.execPath, [CLI, 'run', '--config', yaml, '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--out', hub],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim(), 'ptychostudy run: reconstruction.modes 20: expected at most 16 incoherent probe modes (the 4×4 probe of the study (simulation.patchSize) has 16 pixels); found 20');
  assert.equal(existsSync(hub), false, 'nothing written');
});

test('a resumed hub whose probe file is not there (the hub copied elsewhere): refused while Phase F has work, left to Phase F once it is complete', async () => {
  const dir = tempDir('run-probe-absent');
  const hub = join(dir, 'hub');
  const gone = join(dir, 'gone.npz');
  const s = parseStudySettings({ preset: 'quick', reconstruction: { initProbe: `file:${gone}` } });
  const state = (status: 'running' | 'complete'): RunState => ({ phases: { reconstruct: { status, started: '2026-12-06T00:00:00Z' } } }) as unknown as RunState;
  assert.deepEqual(resumeStartFiles(hub, null, s), [], 'a new hub: the probe check names the file');
  await assert.rejects(checkStudyProbe(s), new RegExp(`^InputError: ${esc(gone)}: cannot read the probe file`));
  assert.throws(() => resumeStartFiles(hub, state('running'), s), new RegExp(`^InputError: ${esc(gone)}: expected the probe file reconstruction\\.initProbe names ` +
    `\\(${esc(join(hub, 'settings.json'))}\\), as the jobs still to run start from it; found no file — if it moved`));
  assert.deepEqual(resumeStartFiles(hub, state('complete'), s), [gone]);
  await checkStudyProbe(s, [gone]); // Phase F refuses it if some job still has to run (test/study/reconstruct-start-files.test.ts)
});
