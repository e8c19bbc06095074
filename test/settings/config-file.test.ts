/**
 * Settings files: the commented file `config --print-defaults` writes reads back as the defaults (and a
 * preset's as that preset); every wrong or unknown field of a file is its own line (path, expected,
 * found; "did you mean" for a near name), exit 2, nothing written; hostile YAML is refused; flags override
 * the file; every engine option reaches the manifest and the reconstruction's _metadata.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileIssueLine, parseSettingsText, readConfigFile, readSettingsFile, SettingsFileError } from '../../src/settings/file.js';
import { parseStudySettings, SettingsError, settingsDefaults } from '../../src/settings/parse.js';
import { settingsFrom } from '../../src/cli/options.js';
import { namesToFlags } from '../../src/cli/action.js';
import { UsageError } from '../../src/errors.js';
import { settingsTemplate } from '../../src/settings/template.js';
import { reconstructionSettingsSha256 } from '../../src/settings/fingerprint.js';
import { loadNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import { tmp, writeTree } from '../study/reconstruct-helpers.js';
import { writeSyntheticDataset } from '../engine/dataset.js';

const cli = 'dist/src/cli/main.js';
const ptychostudy = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

test('config --print-defaults writes a commented YAML file that reads back as exactly the defaults', () => {
  const r = ptychostudy(['config', '--print-defaults']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, settingsTemplate());
  assert.deepEqual(parseStudySettings(parseSettingsText(r.stdout, 'defaults.yaml') as never), settingsDefaults());
  // every setting is documented above its line, with its unit and bounds where it has them
  assert.match(r.stdout, / {2}# far-field noise model .*\n {2}# \(allowed: one of gaussian, poisson\)\n {2}noiseModel: gaussian\n/);
  assert.match(r.stdout, /\(unit: photons per pattern; allowed: list of at least 1: number > 0\)\n {2}doses: \[ 1000, 10000, 100000 \]/);
  assert.match(r.stdout, /preconditioningDampingFactor: /);
  const keys = [...r.stdout.matchAll(/^ {2}(\w+): /gm)].length; // settings with a value (a group such as slurm: is not one)
  const comments = [...r.stdout.matchAll(/^ {2}# \(.*\)$/gm)].length;
  assert.ok(keys > 40 && comments >= keys - 3, `${keys} settings, ${comments} with bounds`);
  // it names no preset, so it is the reference size, not the quick study a command makes without a file: said at its head
  assert.match(r.stdout, /^# This file names no preset.*\n# N = 128, a 464 × 464 object, 10304 positions per dose\.\n# `run` and `generate` make the quick study when nothing names a preset:\n# N = 64, a 320 × 320 object, 1000 positions per dose\. For a file of its values:\n# `ptychostudy config --print-defaults --preset quick`\.$/m);
  // a preset's file reads back as that preset; the JSON form too
  const quick = ptychostudy(['config', '--print-defaults', '--preset', 'quick']);
  assert.doesNotMatch(quick.stdout, /names no preset/);
  assert.deepEqual(parseStudySettings(parseSettingsText(quick.stdout, 'q.yaml') as never), parseStudySettings({ preset: 'quick' }));
  const json = ptychostudy(['config', '--print-defaults', '--json']);
  assert.deepEqual(parseStudySettings(JSON.parse(json.stdout) as never), settingsDefaults());
  // and `config --check` accepts it
  const dir = tmp('config-defaults');
  writeFileSync(join(dir, 'd.yaml'), r.stdout);
  const check = ptychostudy(['config', '--check', join(dir, 'd.yaml')]);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /ok; every setting at its default/);
  assert.doesNotMatch(check.stdout, /warning/, 'the defaults warn of nothing');
  // what a reconstruction would only warn of when it runs is said by the check: a plan that schedules none of
  // the epochs, a setting of the noise model that does not run
  writeFileSync(join(dir, 'w.yaml'), 'reconstruction:\n  epochs: 6\n  objectPlan: { start: 10 }\n  poissonStepNoise: 0.5\n');
  const warned = ptychostudy(['config', '--check', join(dir, 'w.yaml')]);
  assert.equal(warned.status, 0, warned.stderr);
  assert.match(warned.stdout, /^warning: reconstruction\.objectPlan \{start: 10, stop: null, stride: 1\} schedules none of this run's epochs \(epochs 1–5 update; epoch 0 only rescales the probe\): the object is never updated$/m);
  assert.match(warned.stdout, /^warning: reconstruction\.poissonStepNoise 0\.5 has no effect: it belongs to the Poisson noise model, and the Gaussian model runs$/m);
});

test('a settings file with unknown keys and bad types: one line per wrong field, exit 2, nothing written', () => {
  const dir = tmp('config-bad');
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, [
    'simulaton: {}', 'reconstruction:', '  epochz: 3', '  batchSize: 0', '  noise_model: poisson', '  noiseModel: laplace',
    '  objectPlan: { stride: 0 }', 'execution:', '  jobs: two', '',
  ].join('\n'));
  const want = [
    `${file}: reconstruction.batchSize: expected a positive integer, found 0`,
    `${file}: reconstruction.noiseModel: expected gaussian or poisson, found laplace`,
    `${file}: reconstruction.objectPlan.stride: expected a positive integer, found 0`,
    `${file}: reconstruction.epochz: no such setting (did you mean reconstruction.epochs?)`,
    `${file}: reconstruction.noise_model: no such setting (did you mean reconstruction.noiseModel?)`,
    `${file}: execution.jobs: expected a positive integer, found two`,
    `${file}: simulaton: no such setting (did you mean simulation?)`,
  ];
  assert.throws(() => readSettingsFile(file), (e: unknown) => e instanceof SettingsFileError && e.exitCode === 2 &&
    [...e.message.split('\n')].sort().join('\n') === [...want].sort().join('\n'));
  for (const cmd of [['config', '--check', file], ['run', '--config', file, '--out', join(dir, 'hub')],
    ['lsqml', '--config', file, '--input', file, '--out', join(dir, 'job')]]) {
    const r = ptychostudy(cmd);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.replace(/^ptychostudy \w+: /, '')).sort(), [...want].sort(), r.stderr);
  }
  assert.ok(!existsSync(join(dir, 'hub')) && !existsSync(join(dir, 'job')), 'nothing written');
  // a name that is nowhere near a setting gets no guess
  writeFileSync(file, 'reconstruction:\n  zzzzzzzz: 1\n');
  assert.match(ptychostudy(['config', '--check', file]).stderr, /reconstruction\.zzzzzzzz: no such setting \(check the spelling\)$/m);
});

test('a value of the wrong type says what was expected in plain words; quoted numbers are shown as text', () => {
  const dir = tmp('config-types');
  const file = join(dir, 'types.yaml');
  writeFileSync(file, [
    'execution: 5', 'reconstruction:', '  epochs: "5"', '  seed: "-3"', '  objectOptimizable: yes', '  objectPlan: 2',
    '  initProbe: 7', '  fftBackend: "null"', 'overlap:', '  views: [0.5]', '',
  ].join('\n'));
  const want = [
    `${file}: execution: expected a group of settings (name: value pairs), found 5`,
    `${file}: reconstruction.epochs: expected a positive integer, found "5" (text)`,
    `${file}: reconstruction.seed: expected a non-negative integer, found "-3" (text)`,
    // (was: found yes, which read as YAML's yes)
    `${file}: reconstruction.objectOptimizable: expected true or false, found "yes" (text: YAML 1.2 reads yes, no, on and off as text; write true or false)`,
    `${file}: reconstruction.objectPlan: expected a group of settings (name: value pairs), found 2`,
    `${file}: reconstruction.initProbe: expected text, found 7`,
    `${file}: reconstruction.fftBackend: expected auto, ts or wasm, found "null" (text)`,
    `${file}: overlap.views: expected a group of settings (name: value pairs), found [0.5]`,
  ];
  const r = ptychostudy(['config', '--check', file]);
  assert.equal(r.status, 2, r.stderr);
  assert.deepEqual(r.stderr.trim().split('\n').map((l) => l.replace(/^ptychostudy config: /, '')).sort(), [...want].sort(), r.stderr);
  // A flag's value is text anyway: it is shown bare.
  const flag = ptychostudy(['lsqml', '--input', file, '--out', join(dir, 'job'), '--noise-model', '1']);
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /--noise-model 1: expected gaussian or poisson/);
});

test('a settings file with more probe modes than LSQML starts from is refused by config --check, naming its key', () => {
  const dir = tmp('config-modes');
  const file = join(dir, 'modes.yaml');
  writeFileSync(file, 'reconstruction:\n  modes: 1000000\n');
  const r = ptychostudy(['config', '--check', file]);
  assert.equal(r.status, 2, r.stdout);
  assert.equal(r.stderr.trim(), `ptychostudy config: ${file}: reconstruction.modes: expected an integer from 1 to 50 (MAX_PROBE_MODES: each mode after the first takes 2 % of the probe's energy), found 1000000`);
  writeFileSync(file, 'reconstruction:\n  modes: 50\n');
  assert.equal(ptychostudy(['config', '--check', file]).status, 0);
});

test('config --check warns of a synthetic object that the memory limit of this machine makes generate refuse', () => {
  const dir = tmp('config-memory');
  const file = join(dir, 'big.yaml');
  writeFileSync(file, 'simulation:\n  objectShape: [6000, 6000]\n');
  const r = ptychostudy(['config', '--check', file], { PTYCHOSTUDY_MEMORY_LIMIT: '64M' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^warning: `simulation\.objectShape` \[6000,6000\]: expected a simulation that fits the memory limit of 64\.0 MiB \(PTYCHOSTUDY_MEMORY_LIMIT=64M\); found an object of 6000×6000 pixels, for which the simulation needs about .*: generate and run refuse it on this machine$/m);
  // what generate says of the same file
  const g = ptychostudy(['generate', '--config', file, '--out', join(dir, 'c')], { PTYCHOSTUDY_MEMORY_LIMIT: '64M' });
  assert.equal(g.status, 2);
  assert.match(g.stderr, /expected a simulation that fits the memory limit of 64\.0 MiB/);
  // within the limit: no warning
  assert.doesNotMatch(ptychostudy(['config', '--check', file], { PTYCHOSTUDY_MEMORY_LIMIT: '64G' }).stdout, /warning/);
});

/** The one line of the issues of settings values (as a file's refusal words them). */
function parseStudySettingsIssue(values: unknown): string {
  try { parseStudySettings(values as never); } catch (e) { return (e as SettingsError).issues.map(fileIssueLine).join('\n'); }
  return assert.fail('accepted');
}

test('JSON written by hand — a comment, a comma before a closing bracket, single quotes — is refused naming the line and column and what JSON does not allow; TOML is named (was: "at position 4", "Unexpected scalar")', () => {
  const hand = tmp('config-by-hand');
  const writeTo = (name: string, text: string): string => { writeFileSync(join(hand, name), text); return join(hand, name); };
  const refusal = (text: string, file: string): string => {
    try { parseSettingsText(text, file); } catch (e) { return (e as Error).message; }
    return assert.fail(`${file} accepted`);
  };
  const COMMENT = '; a comment, which JSON does not allow (a YAML file, .yaml, may hold # comments and reads JSON as it is)';
  for (const c of ['// my run', '/* my run */', '# my run']) {
    const m = refusal(`{\n  ${c}\n  "reconstruction": {"epochs": 80}\n}\n`, 's.json');
    assert.ok(m.startsWith('s.json: not valid JSON (line 2, column 3): ') && m.endsWith(COMMENT), m);
    assert.doesNotMatch(m, /position/);
  }
  // CRLF line ends and tabs are JSON's blank space: the line and column are still the editor's
  assert.match(refusal('{\r\n\t"reconstruction": {\r\n\t\t"epochs": 80,\r\n\t}\r\n}\r\n', 'crlf.json'),
    /^crlf\.json: not valid JSON \(line 4, column 2\): .*; a comma before a closing bracket, which JSON does not allow$/);
  assert.match(refusal("{'reconstruction': {'epochs': 80}}", 'q.json'), /^q\.json: not valid JSON \(line 1, column 2\): .*; text in single quotes: JSON takes double quotes$/);
  // NaN and Infinity, which Python's json.dump writes: named, with their place (was: "Unexpected token 'N', …")
  assert.equal(refusal('{"simulation": {"doses": [1e4,\n  NaN]}}', 'nan.json'),
    "nan.json: not valid JSON (line 2, column 3): NaN is not a JSON number (a setting's number is finite; null where a setting takes none)");
  assert.equal(refusal('{"reconstruction": {"probePlan": {"stop": Infinity}}}', 'inf.json'),
    "inf.json: not valid JSON (line 1, column 43): Infinity is not a JSON number (a setting's number is finite; null where a setting takes none)");
  assert.match(refusal('{"reconstruction": {"probePlan": {"stop": -Infinity}}}', 'minf.json'),
    /^minf\.json: not valid JSON \(line 1, column 43\): .*; -Infinity is not a JSON number/);
  // an error JSON.parse gives no place for keeps its own words
  assert.match(refusal('{"reconstruction": ', 'cut.json'), /^cut\.json: not valid JSON \(Unexpected end of JSON input\)$/);
  // TOML: by its name, or by its look in a file read as YAML
  const TOML = 'settings files are JSON (a .json file) or YAML (any other name); TOML is not read';
  assert.equal(refusal('[reconstruction]\nepochs = 80\n', 'study.toml'), `study.toml: expected JSON or YAML; found a .toml file (${TOML})`);
  assert.equal(refusal('reconstruction.epochs = 80\n', 'study.TOML'), `study.TOML: expected JSON or YAML; found a .toml file (${TOML})`);
  assert.match(refusal('[reconstruction]\nepochs = 80\nnoiseModel = "poisson"\n', 'study.yaml'), new RegExp(`^study\\.yaml: not valid YAML \\(line 2, column 1\\): .*; it reads as TOML: ${TOML.replace(/[.()]/g, '\\$&')}$`));
  // a group whose every line is commented out is YAML's null: said how to write an empty one (was: found null)
  assert.throws(() => readSettingsFile(writeTo('nul.yaml', 'reconstruction:\n#  epochs: 80\nsimulation:\n  doses: [1e3]\n')),
    { message: `${join(hand, 'nul.yaml')}: reconstruction: expected a group of settings (name: value pairs), found null (nothing under the name: write {} for an empty group, or leave the name out)` });
  // JSON with a // comment read as YAML (.yaml, .jsonc): the comment and the key after it are one name, said so (was: check the spelling)
  const jsonc = parseStudySettingsIssue(parseSettingsText('{\n  // my run\n  "reconstruction": {"epochs": 80}\n}\n', 's.jsonc'));
  assert.equal(jsonc, '// my run "reconstruction": no such setting (it begins with a // or /* comment, which YAML does not have (its comments ' +
    'begin with #) and JSON neither: the comment and the name after it were read as one name)');
  // YAML itself is not taken for TOML
  assert.doesNotMatch(refusal('reconstruction: [1\n', 'y.yaml'), /TOML/);
});

test('a setting the file gives that a flag makes wrong is refused naming the file and its key, not a flag that was not given (was: --bin-size 3)', () => {
  const dir = tmp('config-source');
  const file = join(dir, 'bin.yaml');
  writeFileSync(file, 'reconstruction:\n  binSize: 3\n');
  const crop = { reconstruction: { crop: { center: [38, 73] as [number, number], size: 64 } } };
  assert.throws(() => settingsFrom(file, crop), (e: Error) => e instanceof UsageError &&
    e.message === `${file}: reconstruction.binSize: expected a divisor of the crop size 64 (reconstruction.crop.size, --crop-size), found 3`);
  // given by a flag, it is the flag's (shown under its name by the command)
  assert.throws(() => settingsFrom(file, { reconstruction: { ...crop.reconstruction, binSize: 5 } }), (e: Error) => e instanceof UsageError &&
    namesToFlags(e.message, { 'reconstruction.binSize': '--bin-size' }) === '--bin-size 5: expected a divisor of the crop size 64 (reconstruction.crop.size, --crop-size)');
});

test('hostile or broken settings files are refused with one line: syntax, duplicate keys, alias bombs, size, not a mapping', () => {
  const dir = tmp('config-hostile');
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) =>
    `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
  const cases: Array<[string, string, RegExp]> = [
    ['syntax.yaml', 'reconstruction: [1\n', /syntax\.yaml: not valid YAML \(line \d+, column \d+\): /],
    ['dup.yaml', 'reconstruction:\n  epochs: 5\n  epochs: 6\n', /dup\.yaml: reconstruction\.epochs: expected each setting once; found it twice \(line 2, column 3 and line 3, column 3\)$/m],
    ['dup-top.yaml', 'simulation: {seed: 1}\nreconstruction: {}\nsimulation: {seed: 2}\n', /dup-top\.yaml: simulation: expected each setting once; found it twice \(line 1, column 1 and line 3, column 1\)$/m],
    ['dup-flow.yaml', 'execution: {slurm: {sbatchArgs: [{a: 1, a: 2}]}}\n', /dup-flow\.yaml: execution\.slurm\.sbatchArgs\.0\.a: expected each setting once; found it twice \(line 1, column 35 and line 1, column 41\)$/m],
    ['bomb.yaml', bomb, /bomb\.yaml: not valid YAML: .*[Aa]lias/],
    ['list.yaml', '- 1\n- 2\n', /list\.yaml: \(settings\): expected an object of settings groups, found \[1,2\]/],
    ['bad.json', '{"reconstruction": {"epochs": 5,}}', /bad\.json: not valid JSON \(line 1, column 33\): [^;]*; a comma before a closing bracket, which JSON does not allow$/m],
    // YAML saved as .json (the template is YAML): the line says so and what to do
    ['yaml.json', 'reconstruction:\n  epochs: 5\n', /yaml\.json: not valid JSON \(.*\); it reads as YAML: a \.json file must hold JSON, so name it \.yaml \(or \.yml\)$/m],
  ];
  for (const [name, text, re] of cases) {
    writeFileSync(join(dir, name), text);
    const r = ptychostudy(['config', '--check', join(dir, name)]);
    assert.equal(r.status, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, re, name);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  // A byte order mark (Windows editors) is not a syntax error, in JSON as in YAML; a duplicate key is still found.
  for (const [name, text] of [['bom.json', '{"reconstruction": {"epochs": 3}}'], ['bom.yaml', 'reconstruction:\n  epochs: 3\n']]) {
    writeFileSync(join(dir, name), `\ufeff${text}`);
    const r = ptychostudy(['config', '--check', join(dir, name)]);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, /reconstruction\.epochs: 3 \(default 50\)/);
  }
  writeFileSync(join(dir, 'bomdup.json'), '\ufeff{"reconstruction": {"epochs": 3, "epochs": 4}}');
  assert.match(ptychostudy(['config', '--check', join(dir, 'bomdup.json')]).stderr, /bomdup\.json: reconstruction\.epochs: expected each setting once; found it twice \(line 1, column 21 and line 1, column 34\)/);
  writeFileSync(join(dir, 'bomdup.yaml'), '\ufeffreconstruction: {epochs: 3, epochs: 4}\n');
  assert.match(ptychostudy(['config', '--check', join(dir, 'bomdup.yaml')]).stderr, /bomdup\.yaml: reconstruction\.epochs: expected each setting once; found it twice \(line 1, column 18 and line 1, column 29\)/);
  writeFileSync(join(dir, 'big.yaml'), `# ${'x'.repeat(1 << 20)}\n`);
  assert.match(ptychostudy(['config', '--check', join(dir, 'big.yaml')]).stderr, /big\.yaml: \d+ bytes; a settings file has at most 1048576/);
  assert.match(ptychostudy(['config', '--check', join(dir, 'missing.yaml')]).stderr, /--check \S+missing\.yaml: no such file/);
  // a link to nothing and a loop of links are named as such, as every input file is (not 'no such file', 'cannot open (ELOOP)')
  symlinkSync('gone.yaml', join(dir, 'dangling.yaml'));
  symlinkSync('loop-b.yaml', join(dir, 'loop-a.yaml'));
  symlinkSync('loop-a.yaml', join(dir, 'loop-b.yaml'));
  // (a script's readSettingsFile names the file; a command's readConfigFile names the option, shown as its flag)
  assert.throws(() => readSettingsFile(join(dir, 'dangling.yaml')), (e: unknown) => e instanceof Error && e.message === `${join(dir, 'dangling.yaml')}: a symbolic link to gone.yaml, which does not exist`);
  assert.throws(() => readConfigFile(join(dir, 'dangling.yaml')), (e: unknown) => e instanceof Error && e.message === `\`config\` ${join(dir, 'dangling.yaml')}: a symbolic link to gone.yaml, which does not exist`);
  assert.throws(() => readSettingsFile(join(dir, 'loop-a.yaml')), (e: unknown) => e instanceof Error && e.message === `${join(dir, 'loop-a.yaml')}: a loop of symbolic links`);
  // a folder or a named pipe given as the settings file says what it is (a pipe is never opened: it would block)
  const pipe = join(dir, 'pipe.yaml');
  spawnSync('mkfifo', [pipe]);
  for (const [path, kind] of [[dir, 'a directory'], [pipe, 'a named pipe']] as const) {
    const r = ptychostudy(['lsqml', '--config', path, '--input', join(dir, 'data.npz'), '--out', join(dir, 'job')]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim(), `ptychostudy lsqml: --config ${path}: not a regular file (${kind})`);
  }
});

test('the settings file shown in the README is valid and means what the README says', () => {
  const readme = readFileSync('README.md', 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(yaml, 'README has a YAML example');
  const s = parseStudySettings(parseSettingsText(yaml!, 'README.yaml') as never);
  assert.equal(s.preset, 'quick');
  assert.deepEqual(s.simulation.doses, [1000, 100000]);
  assert.equal(s.reconstruction.noiseModel, 'poisson');
  assert.deepEqual(s.reconstruction.probePlan, { start: 5, stop: null, stride: 1 });
});

test('--epochs 1 is refused with the reason, on every command that reconstructs', () => {
  const dir = tmp('epochs-one');
  for (const args of [['run', '--out', join(dir, 'hub')], ['lsqml', '--input', 'x.npz', '--out', join(dir, 'job')],
    ['reconstruct', '--phase-c-root', dir, '--phase-d-root', dir, '--out', join(dir, 'f')]]) {
    const r = ptychostudy([...args, '--epochs', '1']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--epochs 1: expected an integer ≥ 2 \(epoch 0 only rescales the probe, so 1 epoch would update nothing; /);
  }
  // the reason names the way out: without the first-epoch rescale, 1 epoch is 1 update
  const ok = parseStudySettings({ reconstruction: { epochs: 1, rescaleProbeIntensityInFirstEpoch: false } });
  assert.equal(ok.reconstruction.epochs, 1);
});

test('flags override the file; every engine option of the file reaches the manifest (hash, run settings) and the job', () => {
  const root = tmp('config-flags');
  const t = writeTree(root, { doses: [1000] });
  const file = join(root, 'study.yaml');
  writeFileSync(file, 'reconstruction:\n  epochs: 9\n  batchSize: 7\n  objectStepSizeScaler: 0.75\n  probePlan: { start: 2 }\n');
  const r = ptychostudy(['reconstruct', '--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--out', t.artifact, '--doses', '1000',
    '--dose', '1000', '--view', 'baseline', '--split', 'train', '--dry-run', '--config', file, '--epochs', '4']);
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(readFileSync(join(t.artifact, 'reconstruction_manifest.json'), 'utf8'));
  assert.equal(m.jobs[0].num_epochs, 4, 'the flag wins');
  assert.equal(m.jobs[0].batch_size, 7, 'the file fills what no flag sets');
  const settings = parseStudySettings({ reconstruction: { epochs: 4, batchSize: 7, objectStepSizeScaler: 0.75, probePlan: { start: 2 } } }).reconstruction;
  assert.equal(m.jobs[0].settings_sha256, reconstructionSettingsSha256(settings));
  assert.equal(m.runs[0].reconstruction_settings.objectStepSizeScaler, 0.75);
  assert.deepEqual(m.runs[0].reconstruction_settings.probePlan, { start: 2, stop: null, stride: 1 });
  assert.match(r.stdout, /--epochs 4 --batch-size 7/);
});

test('lsqml with a settings file: the reconstruction\'s _metadata holds every effective setting and their hash', () => {
  const root = tmp('config-lsqml');
  const ds = writeSyntheticDataset(join(root, 'data.npz'), { size: 32, height: 80, width: 80, positions: 40, photons: 1e4, poisson: true, seed: 3 }, 2.5);
  const file = join(root, 'engine.json');
  writeFileSync(file, JSON.stringify({ reconstruction: { batchSize: 5, preconditioningDampingFactor: 0.2, gaussianNoiseStd: 0.25 } }));
  const out = join(root, 'job');
  const r = ptychostudy(['lsqml', '--input', ds.path, '--out', out, '--config', file, '--epochs', '2']);
  assert.equal(r.status, 0, r.stderr);
  const meta = readMetadata(loadNpz(join(out, 'reconstruction.npz'), ['_metadata']));
  assert.equal(meta.status, 'ok');
  const v = (meta as { value: Record<string, any> }).value;
  const expected = parseStudySettings({ reconstruction: { epochs: 2, batchSize: 5, preconditioningDampingFactor: 0.2, gaussianNoiseStd: 0.25 } }).reconstruction;
  const { threads: _threads, ...expectedButThreads } = expected; // the thread count is in reconstruction_run.json
  assert.deepEqual(v.reconstruction_settings, JSON.parse(JSON.stringify(expectedButThreads)));
  assert.equal(v.settings_sha256, reconstructionSettingsSha256(expected));
  assert.equal(v.engine_options.preconditioningDampingFactor, 0.2, 'the engine ran with the file\'s value');
  assert.equal(v.engine_options.gaussianNoiseStd, 0.25);
});

test('config --print-defaults names the crop and binning of measured data\'s frames, which have no value by default: commented out, uncommented they read', () => {
  const t = settingsTemplate();
  assert.match(t, /\n {2}# measured data \(CXI, PtyPy \.ptyd\): read only a size × size window of each detector frame about\n(?: {2}#.*\n)*? {2}# crop: \{ center: \[Y, X\], size: N \} {3}# e\.g\. the suggestion of `ptychostudy inspect FILE`\n/);
  assert.match(t, /\n {2}# \(unit: pixels; allowed: integer ≥ 1, ≤ 64\)\n {2}# binSize: 1\n(?: {2}#.*\n)* {2}threads: null\n/);
  const edited = t.replace('# crop: { center: [Y, X], size: N }', 'crop: { center: [301, 517], size: 256 }').replace('# binSize: 1', 'binSize: 2');
  const s = parseStudySettings(parseSettingsText(edited, 'crop.yaml') as never);
  assert.deepEqual([s.reconstruction.crop, s.reconstruction.binSize], [{ center: [301, 517], size: 256 }, 2]);
});

test('config --check: a crop of null and a bin size of 1 are the defaults (absent means them); another bin size differs from 1', () => {
  const dir = tmp('config-crop');
  writeFileSync(join(dir, 'none.yaml'), 'reconstruction:\n  crop: null\n  binSize: 1\n');
  const none = ptychostudy(['config', '--check', join(dir, 'none.yaml')]);
  assert.equal(none.status, 0, none.stderr);
  assert.match(none.stdout, /ok; every setting at its default\n/);
  writeFileSync(join(dir, 'crop.yaml'), 'reconstruction:\n  crop: { center: [301, 517], size: 256 }\n  binSize: 2\n');
  const crop = ptychostudy(['config', '--check', join(dir, 'crop.yaml')]);
  assert.equal(crop.status, 0, crop.stderr);
  assert.ok(crop.stdout.includes('  reconstruction.crop: {"center":[301,517],"size":256} (default null)\n  reconstruction.binSize: 2 (default 1)\n'), crop.stdout);
});
