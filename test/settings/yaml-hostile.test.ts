/**
 * YAML settings files that parse but hold what no setting is: explicit tags (`!!binary` became a Buffer,
 * listed as a hundred "no such setting" lines; a custom tag was dropped silently), keys that are lists,
 * groups or empty, a second document, bytes that are not UTF-8, an empty file. Each is one line naming the file and
 * where, exit 2; so is `--config` given twice. Also: `config --check` refuses the options it does not use, and `inspect` given a hub or
 * a settings file says where a hub's settings are and how to check a settings file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { parseSettingsText, readSettingsFile } from '../../src/settings/file.js';
import { settingsTemplate } from '../../src/settings/template.js';
import { sourceDateEpoch } from '../../src/cli/commands/generate.js';
import { notInspected } from '../../src/cli/commands/inspect.js';
import { assertRefused, ptychostudy } from '../data/cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-settings-yaml-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** The one-line InputError `parseSettingsText` throws for `text`. */
function refusal(text: string): string {
  try {
    parseSettingsText(text, 's.yaml');
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.message.split('\n').length, 1, err.message);
    return err.message;
  }
  assert.fail(`accepted: ${JSON.stringify(text)}`);
}

test('a YAML tag is refused in one line naming it and where it is (was: a Buffer, a Date, or the tag dropped)', () => {
  const plain = 's.yaml: not valid YAML (line 1, column 17): expected plain values (numbers, text, true/false, null, lists, groups); found the tag';
  assert.equal(refusal('reconstruction: !!binary aGVsbG8=\n'), `${plain} !!binary`);
  assert.equal(refusal('reconstruction: !!set {a, b}\n'), `${plain} !!set`);
  assert.equal(refusal('reconstruction: {epochs: !!float 5}\n'), 's.yaml: not valid YAML (line 1, column 26): expected plain values (numbers, text, true/false, null, lists, groups); found the tag !!float');
  assert.equal(refusal('simulation:\n  baseNpz: !file base.npz\n'), 's.yaml: not valid YAML (line 2, column 12): expected plain values (numbers, text, true/false, null, lists, groups); found the tag !file');
  // the core schema's own tags still mean what they say
  assert.deepEqual(parseSettingsText('reconstruction: {epochs: !!int "5", noiseModel: !!str poisson}\n', 's.yaml'), { reconstruction: { epochs: 5, noiseModel: 'poisson' } });
});

test('a key that is a list, a group or empty is refused in one line (was: a process warning, or a setting named "")', () => {
  assert.equal(refusal('? [a]\n: 1\n'), 's.yaml: expected setting names as keys; found a list (line 1, column 3)');
  assert.equal(refusal('reconstruction:\n  {a: 1}: 2\n'), 's.yaml: reconstruction: expected setting names as keys; found a group (line 2, column 3)');
  assert.equal(refusal('reconstruction:\n  null: 2\n'), 's.yaml: reconstruction: expected setting names as keys; found an empty (null) key (line 2, column 3)');
  // a number is a name like any other (and then no setting's)
  assert.deepEqual(parseSettingsText('5: 4\n', 's.yaml'), { 5: 4 });
});

test('a second YAML document is named as such, not by the parser\'s API', () => {
  assert.equal(refusal('reconstruction: {epochs: 5}\n---\nreconstruction: {epochs: 6}\n'),
    's.yaml: not valid YAML (line 2, column 1): expected one document; found a second (a line `---` starts one)');
});

test('a settings file that is not UTF-8 is refused as such (was: read with U+FFFD and shown as a value)', () => {
  const file = join(dir, 'latin1.yaml');
  writeFileSync(file, Buffer.from('reconstruction:\n  noiseModel: poisson # \xe9\n', 'latin1'));
  assert.throws(() => readSettingsFile(file), { message: `${file}: expected UTF-8 text (JSON or YAML); found bytes that are not UTF-8` });
  writeFileSync(file, '\ufeffreconstruction:\n  noiseModel: poisson # é\n');
  assert.deepEqual(readSettingsFile(file), { reconstruction: { noiseModel: 'poisson' } });
});

test('an empty settings file is refused, not read as every setting at its default (was: a YAML one ran the defaults)', () => {
  const yaml = join(dir, 'empty.yaml');
  const json = join(dir, 'empty.json');
  writeFileSync(yaml, '');
  writeFileSync(json, '\n \n');
  assert.throws(() => readSettingsFile(yaml), { message: `${yaml}: expected settings (YAML); found an empty file (\`{}\` or a comment keeps every setting at its default)` });
  assert.throws(() => readSettingsFile(json), { message: `${json}: expected settings (JSON); found only blank space (\`{}\` keeps every setting at its default)` });
  // what it says to write instead is read as the defaults
  writeFileSync(yaml, '# every setting at its default\n');
  assert.deepEqual(readSettingsFile(yaml), {});
  writeFileSync(json, '{}');
  assert.deepEqual(readSettingsFile(json), {});
});

test('a settings file holding null is refused in one line, exit 2 (was: a TypeError, exit 1, for JSON; every default for YAML)', () => {
  const cases: [string, string][] = [['null.json', 'null\n'], ['null.yaml', 'null\n'], ['tilde.yaml', '~\n'], ['doc.yaml', '--- null\n# nothing else\n']];
  for (const [name, text] of cases) {
    const file = join(dir, name);
    writeFileSync(file, text);
    assertRefused(ptychostudy(['config', '--check', file]), 'config', `${file}: (settings): expected an object of settings groups, found null`);
  }
  // a document of comments only still means every default
  const comments = join(dir, 'comments.yaml');
  writeFileSync(comments, '---\n# every setting at its default\n');
  assert.deepEqual(readSettingsFile(comments), {});
});

test('a settings file is read no further than the size limit, whatever its size said (a /proc file says 0)', { skip: process.platform !== 'linux' }, () => {
  // /proc/self/pagemap says 0 bytes and reads on for terabytes (8 bytes per virtual page)
  const file = '/proc/self/pagemap';
  assert.throws(() => readSettingsFile(file), { message: `${file}: more than 1048576 bytes (its size said 0); a settings file has at most 1048576` });
});

test('the commented defaults state a nullable setting\'s type in words (was: "string,null")', () => {
  const text = settingsTemplate();
  assert.match(text, /\(allowed: text \| null\)\n {2}probeModel: null\n/);
  assert.match(text, /\(unit: photons; allowed: number \| null\)\n {2}excludeMeasuredPixelsBelow: null\n/);
  assert.doesNotMatch(text, /allowed: [^\n]*\w,null/);
});

test('config --check refuses --json and --preset, which it would ignore', () => {
  const file = join(dir, 'ok.yaml');
  writeFileSync(file, 'reconstruction: {epochs: 5}\n');
  assertRefused(ptychostudy(['config', '--check', file, '--json']), 'config', '--json: only with --print-defaults; --check reads the file as it is');
  assertRefused(ptychostudy(['config', '--check', file, '--preset', 'fly64']), 'config', '--preset: only with --print-defaults; --check reads the file as it is');
});

test('--config given twice is refused before anything runs (was: the last file alone was used, the first dropped)', () => {
  for (const cmd of ['run', 'generate', 'overlap', 'reconstruct', 'lsqml']) {
    const r = ptychostudy([cmd, '--config', 'a.yaml', '--config=b.yaml', '--out', join(dir, `twice-${cmd}`)]);
    assert.equal(r.status, 2, `${cmd}: ${r.stderr}`);
    assert.match(r.stderr, /^ptychostudy \w+: option '--config <file>' argument 'b\.yaml' is invalid\. given twice \(first a\.yaml\): settings files are not combined; give one, and flags for what differs \(`ptychostudy \w+ --help` lists the options\)\n$/, cmd);
  }
});

test('a settings file\'s doses that generate and reconstruct refuse are refused as the file\'s, by config --check and by run (was: under --dose)', () => {
  const file = join(dir, 'doses.yaml');
  writeFileSync(file, 'simulation: {doses: [1e3, 1e4, 1e3]}\n');
  assertRefused(ptychostudy(['config', '--check', file]), 'config', `${file}: simulation.doses: expected each dose in a folder of its own (dose 1000 is given twice), found [1000,10000,1000]`);
  writeFileSync(file, 'simulation: {doses: [1000, 1000.5]}\n');
  assertRefused(ptychostudy(['config', '--check', file]), 'config',
    `${file}: simulation.doses: expected each dose in a folder of its own (doses 1000 and 1000.5 would share the directory dose_1000), found [1000,1000.5]`);
  assertRefused(ptychostudy(['run', '--config', file, '--out', join(dir, 'doses-hub')]), 'run',
    `${file}: simulation.doses: expected each dose in a folder of its own (doses 1000 and 1000.5 would share the directory dose_1000), found [1000,1000.5]`);
});

test('config --check refuses a PTYCHOSTUDY_MEMORY_LIMIT that is no size (was: shown as a warning about the file, exit 0)', () => {
  const file = join(dir, 'mem.yaml');
  writeFileSync(file, 'reconstruction: {epochs: 5}\n');
  assertRefused(ptychostudy(['config', '--check', file], { env: { PTYCHOSTUDY_MEMORY_LIMIT: 'lots' } }), 'config',
    'PTYCHOSTUDY_MEMORY_LIMIT=lots: expected a positive number of bytes, optionally with a K, M, G or T suffix (e.g. 8G)');
});

test('inspect of a hub says where its settings are; of a settings file, how to check it', () => {
  const hub = join(dir, 'hub');
  mkdirSync(hub);
  writeFileSync(join(hub, 'run.json'), '{}');
  assert.equal(notInspected(hub), `${hub}: a hub, not a file; its settings are ${join(hub, 'settings.json')} ` +
    `(\`ptychostudy config --check ${join(hub, 'settings.json')}\` lists what they change from the defaults), its report ${join(hub, 'report', 'index.html')}`);
  assert.equal(notInspected(join(hub, 'run.json')), `${join(hub, 'run.json')}: expected an NPZ or HDF5 file; found a JSON or YAML name ` +
    `(a settings file is checked with \`ptychostudy config --check ${join(hub, 'run.json')}\`)`);
  assert.equal(notInspected(dir), null, 'a folder that is no hub: inspect says what it is itself');
  assert.equal(notInspected(join(dir, 'data.npz')), null);
});

test('SOURCE_DATE_EPOCH past the last time a date holds is refused in one line (was: a RangeError)', () => {
  assert.equal(sourceDateEpoch('1700000000'), '2023-11-14T22:13:20.000Z');
  assert.equal(sourceDateEpoch(undefined), null);
  assert.equal(sourceDateEpoch('8640000000000'), '+275760-09-13T00:00:00.000Z');
  assert.throws(() => sourceDateEpoch('99999999999999999'),
    { message: "SOURCE_DATE_EPOCH: expected an integer number of seconds since 1970 (UTC), at most 8640000000000; found '99999999999999999'" });
  assert.throws(() => sourceDateEpoch('-5'), /SOURCE_DATE_EPOCH: expected an integer number of seconds/);
});

test('a settings file of many unknown names lists the first 20 and counts the rest in one line (was: a line for each, 90 000 of them)', () => {
  const file = join(dir, 'many-names.json');
  writeFileSync(file, JSON.stringify({ reconstruction: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 1])) }));
  assert.throws(() => readSettingsFile(file), (err: Error) => {
    assert.ok(err instanceof InputError, String(err));
    const lines = err.message.split('\n');
    assert.equal(lines.length, 21, lines.slice(0, 3).join('\n'));
    assert.equal(lines[0], `${file}: reconstruction.k0: no such setting (check the spelling)`);
    assert.equal(lines[19], `${file}: reconstruction.k19: no such setting (check the spelling)`);
    assert.equal(lines[20], `${file}: reconstruction: 4980 more names that are no settings (k20, k21, k22, …)`);
    return true;
  });
});
