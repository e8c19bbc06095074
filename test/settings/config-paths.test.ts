/**
 * Paths in a settings file are the file's: `simulation.baseNpz` and `reconstruction.initProbe: file:PATH`,
 * when relative, are taken from the folder of the settings file — not from wherever the command runs —
 * and `config --check` reports a file that is not there. (Flags keep the working directory's paths.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveNpz } from '../../src/npy/npz.js';
import { readConfigFile, readSettingsFile } from '../../src/settings/file.js';
import { assertRefused, ptychostudy } from '../data/cli-run.js';
import { onesC8 } from '../npy/helpers.js';

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-config-paths-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('a relative baseNpz in a settings file is read from the file\'s folder (was: the working directory\'s)', () => {
  const sub = join(root, 'study');
  mkdirSync(sub);
  saveNpz(join(sub, 'base.npz'), { objectGuess: onesC8(64, 64), probeGuess: onesC8(16, 16) });
  writeFileSync(join(sub, 'study.json'), JSON.stringify({ simulation: { baseNpz: 'base.npz' } }));
  // from the folder above: the path becomes study/base.npz (relative to the working directory)
  const r = ptychostudy(['generate', '--config', join('study', 'study.json'), '--out', 'g', '--dose', '1e3', '--n-images', '10'], { cwd: root });
  assert.equal(r.status, 0, r.stderr);
  const manifest = readFileSync(join(root, 'g', 'run_manifest.json'), 'utf8');
  assert.match(manifest, /"study\/base\.npz"/, 'the base NPZ next to the settings file was used');
  // from elsewhere: an absolute path
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(elsewhere);
  // (this process runs elsewhere: outside the working directory, the path is absolute)
  assert.equal(readSettingsFile(join(sub, 'study.json')).simulation!.baseNpz, join(sub, 'base.npz'));
  const r2 = ptychostudy(['generate', '--config', join(sub, 'study.json'), '--out', 'g2', '--dose', '1e3', '--n-images', '10'], { cwd: elsewhere });
  assert.equal(r2.status, 0, r2.stderr);
  // an absolute path is kept; a flag's relative path is still the working directory's
  writeFileSync(join(sub, 'abs.json'), JSON.stringify({ simulation: { baseNpz: join(sub, 'base.npz') } }));
  assert.equal(readSettingsFile(join(sub, 'abs.json')).simulation!.baseNpz, join(sub, 'base.npz'));
  const r3 = ptychostudy(['generate', '--config', join(sub, 'study.json'), '--base-npz', 'base.npz', '--out', 'g3', '--dose', '1e3', '--n-images', '10'], { cwd: root });
  assertRefused(r3, 'generate', 'base NPZ base.npz: no such file');
});

test('a relative initProbe file:PATH is read from the settings file\'s folder too', () => {
  const sub = join(root, 'probe');
  mkdirSync(sub);
  writeFileSync(join(sub, 'p.yaml'), 'reconstruction:\n  initProbe: file:probe.npz\n');
  assert.equal(readSettingsFile(join(sub, 'p.yaml')).reconstruction!.initProbe, `file:${join(sub, 'probe.npz')}`);
});

test('a relative initObject file:PATH is read from the settings file\'s folder, with initProbe\'s beside it', () => {
  const sub = join(root, 'object');
  mkdirSync(sub);
  writeFileSync(join(sub, 'o.yaml'), 'reconstruction:\n  initObject: file:old/reconstruction.npz\n  initProbe: file:old/reconstruction.npz\n');
  const r = readSettingsFile(join(sub, 'o.yaml')).reconstruction!;
  assert.equal(r.initObject, `file:${join(sub, 'old', 'reconstruction.npz')}`);
  assert.equal(r.initProbe, `file:${join(sub, 'old', 'reconstruction.npz')}`);
});

test('a path beginning with ~ in a settings file is refused saying that nothing expands it (was: a file ~/… beside the settings file, not there)', () => {
  const sub = join(root, 'tilde');
  mkdirSync(sub);
  const file = join(sub, 'tilde.yaml');
  writeFileSync(file, 'simulation:\n  baseNpz: ~/data/base.npz\nreconstruction:\n  initProbe: file:~/scan/probe.h5\n  initObject: file:~user/o.npz\n');
  const r = ptychostudy(['config', '--check', file]);
  assert.equal(r.status, 2, r.stderr);
  const rule = 'a path without ~ (a shell puts your home folder for it, a settings file does not): the absolute path, or one relative to the folder of this file';
  assert.deepEqual(r.stderr.trim().split('\n'), [
    `ptychostudy config: ${file}: simulation.baseNpz: expected ${rule}, found ~/data/base.npz`,
    `ptychostudy config: ${file}: reconstruction.initProbe: expected ${rule}, found ~/scan/probe.h5`,
  ]);
});

test('a folder given as the settings file names the settings file it holds: a hub\'s settings.json, a reconstruction\'s (was: only "not a regular file")', () => {
  const hub = join(root, 'folder-hub');
  mkdirSync(hub);
  writeFileSync(join(hub, 'settings.json'), '{}');
  assert.throws(() => readConfigFile(hub), { message: `\`config\` ${hub}: not a regular file (a directory); a hub's settings: ${join(hub, 'settings.json')}` });
  const job = join(root, 'folder-job');
  mkdirSync(job);
  saveNpz(join(job, 'reconstruction.npz'), { reconstructed_object: onesC8(8, 8) });
  assert.throws(() => readConfigFile(job), { message: `\`config\` ${job}: not a regular file (a directory); a finished reconstruction's settings: ` +
    `\`ptychostudy report --out ${job}\` writes them as ${join(job, 'report', 'img', 'lsqml-settings.json')}` });
  mkdirSync(join(job, 'report', 'img'), { recursive: true });
  writeFileSync(join(job, 'report', 'img', 'lsqml-settings.json'), '{}');
  assert.throws(() => readConfigFile(job), { message: `\`config\` ${job}: not a regular file (a directory); the settings of its reconstruction: ${join(job, 'report', 'img', 'lsqml-settings.json')}` });
  // any other folder: as before
  assert.throws(() => readConfigFile(root), { message: `\`config\` ${root}: not a regular file (a directory)` });
});

test('config --check reports a file a settings file names but that is not there', () => {
  const sub = join(root, 'check');
  mkdirSync(sub);
  const missing = join(sub, 'missing.yaml');
  writeFileSync(missing, 'simulation:\n  baseNpz: nothere.npz\nreconstruction:\n  initProbe: file:noprobe.npz\n');
  const r = ptychostudy(['config', '--check', missing]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr,
    `ptychostudy config: ${missing}: simulation.baseNpz: expected a file (a relative path is taken from the folder of ${missing}); found ${join(sub, 'nothere.npz')}: cannot open (no such file)\n` +
    `ptychostudy config: ${missing}: reconstruction.initProbe: expected a file or a finished reconstruction's folder (holding reconstruction.npz) (a relative path is taken from the folder of ${missing}); found ${join(sub, 'noprobe.npz')}: cannot open (no such file)\n`);
  assert.equal(r.stdout, '');
  // a directory is no file either
  const dir = join(sub, 'dir.json');
  writeFileSync(dir, JSON.stringify({ simulation: { baseNpz: '.' } }));
  assertRefused(ptychostudy(['config', '--check', dir]), 'config',
    `${dir}: simulation.baseNpz: expected a file (a relative path is taken from the folder of ${dir}); found ${sub}: not a regular file (a directory)`);
  // present: ok, and the path shown as it will be used
  saveNpz(join(sub, 'here.npz'), { objectGuess: onesC8(64, 64), probeGuess: onesC8(16, 16) });
  const ok = join(sub, 'ok.yaml');
  writeFileSync(ok, 'simulation:\n  baseNpz: here.npz\n');
  const r2 = ptychostudy(['config', '--check', ok]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(r2.stdout, new RegExp(`simulation\\.baseNpz: "${join(sub, 'here.npz').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" \\(default null\\)`));
  assert.ok(existsSync(join(sub, 'here.npz')));
});

test('config --check takes a start file that names a finished reconstruction\'s folder, as lsqml does (was: refused as a directory)', () => {
  const sub = join(root, 'continue');
  mkdirSync(join(sub, 'prev'), { recursive: true });
  mkdirSync(join(sub, 'empty'));
  saveNpz(join(sub, 'prev', 'reconstruction.npz'), { reconstructed_object: onesC8(8, 8), reconstructed_probe: onesC8(4, 4) });
  const cont = join(sub, 'continue.yaml');
  writeFileSync(cont, 'reconstruction:\n  initProbe: file:prev\n  initObject: file:prev\n');
  const r = ptychostudy(['config', '--check', cont]);
  assert.equal(r.status, 0, r.stderr);
  // shown as the file that is read
  assert.match(r.stdout, /reconstruction\.initProbe: "file:[^"]*prev\/reconstruction\.npz" \(default "guess"\)/);
  // a folder without one is refused, saying what was expected
  const empty = join(sub, 'empty.yaml');
  writeFileSync(empty, 'reconstruction:\n  initProbe: file:empty\n');
  assertRefused(ptychostudy(['config', '--check', empty]), 'config',
    `${empty}: reconstruction.initProbe: expected a file or a finished reconstruction's folder (holding reconstruction.npz) (a relative path is taken from the folder of ${empty}); found ${join(sub, 'empty')}: not a regular file (a directory)`);
});

test('a hub records the files its settings name as absolute paths: its settings.json works as --config from anywhere, and a resume from elsewhere is not a conflict', { timeout: 300_000 }, () => {
  const sub = join(root, 'hubstudy');
  mkdirSync(sub);
  saveNpz(join(sub, 'base.npz'), { objectGuess: onesC8(48, 48), probeGuess: onesC8(16, 16) });
  writeFileSync(join(sub, 'study.yaml'), 'simulation:\n  baseNpz: base.npz\n  doses: [1e4]\n  nImages: 24\nreconstruction:\n  epochs: 2\n');
  const r = ptychostudy(['run', '--config', join('hubstudy', 'study.yaml'), '--out', 'hub', '--jobs', '1', '--quiet'], { cwd: root, timeoutMs: 240_000 });
  assert.equal(r.status, 0, r.stderr);
  const recorded = JSON.parse(readFileSync(join(root, 'hub', 'settings.json'), 'utf8')) as { simulation: { baseNpz: string } };
  assert.equal(recorded.simulation.baseNpz, join(sub, 'base.npz'), 'recorded as an absolute path (was: study-relative to the working directory)');
  const elsewhere = join(root, 'elsewhere-hub');
  mkdirSync(elsewhere);
  // the hub's settings file remakes its Phase C from another folder (the command a refused resume names)
  const g = ptychostudy(['generate', '--config', join(root, 'hub', 'settings.json'), '--out', 'g', '--dose', '1e4'], { cwd: elsewhere });
  assert.equal(g.status, 0, g.stderr);
  assert.ok(readFileSync(join(elsewhere, 'g', 'dose_10000', 'patched_train.npz')).equals(readFileSync(join(root, 'hub', 'phase_c', 'dose_10000', 'patched_train.npz'))));
  // a Phase C rewritten with another seed is refused on resume; remade from the hub's settings in another folder, the hub resumes
  const hubC = join(root, 'hub', 'phase_c');
  assert.equal(ptychostudy(['generate', '--config', join(root, 'hub', 'settings.json'), '--out', hubC, '--overwrite', '--seed', '9'], { cwd: elsewhere }).status, 0);
  const refused = ptychostudy(['run', '--out', join(root, 'hub'), '--quiet'], { cwd: elsewhere });
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /Phase C no longer holds what this hub's run made/);
  assert.equal(ptychostudy(['generate', '--config', join(root, 'hub', 'settings.json'), '--out', hubC, '--overwrite'], { cwd: elsewhere }).status, 0);
  const resumed = ptychostudy(['run', '--out', join(root, 'hub'), '--quiet'], { cwd: elsewhere });
  assert.equal(resumed.status, 0, resumed.stderr);
  // the same settings file, named from elsewhere: the same hub, resumed (finished), no conflict
  const again = ptychostudy(['run', '--config', join(sub, 'study.yaml'), '--out', join(root, 'hub'), '--jobs', '1', '--quiet'], { cwd: elsewhere });
  assert.equal(again.status, 0, again.stderr);
  // another base NPZ is still a conflict
  saveNpz(join(sub, 'other.npz'), { objectGuess: onesC8(48, 48), probeGuess: onesC8(16, 16) });
  const other = ptychostudy(['run', '--config', join(sub, 'study.yaml'), '--base-npz', join(sub, 'other.npz'), '--out', join(root, 'hub'), '--quiet'], { cwd: elsewhere });
  assert.equal(other.status, 2, other.stderr);
  assert.match(other.stderr, /simulation\.baseNpz|--base-npz/);
});
