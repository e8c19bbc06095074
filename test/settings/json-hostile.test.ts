/**
 * Settings files that JSON.parse would take as they are, but must not: a key given twice (JSON.parse
 * keeps the last one silently), nesting deep enough to overflow the stack, keys and values holding line
 * breaks or escape sequences. Each is refused (or shown) in one line naming the file, exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { checkJsonStructure, MAX_SETTINGS_DEPTH, parseSettingsText } from '../../src/settings/file.js';
import { parseStudySettings, SettingsError, shown } from '../../src/settings/parse.js';
import { assertRefused, ptychostudy } from '../data/cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-settings-hostile-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('a key given twice in a JSON settings file is refused, naming the setting and both places (was: the last one won)', () => {
  const dup = file('dup.json', '{"reconstruction":{"epochs":5,"epochs":80}}');
  const line = `${dup}: reconstruction.epochs: expected each setting once; found it twice (line 1, column 20 and line 1, column 31)`;
  assertRefused(ptychostudy(['config', '--check', dup]), 'config', line);
  // every command that reads a settings file refuses it
  assertRefused(ptychostudy(['generate', '--config', dup, '--out', join(dir, 'g')]), 'generate', line);
  // keys are compared as JSON.parse decodes them: "\u0065pochs" is "epochs"
  const escaped = file('escaped.json', '{"a":1,\n "reconstruction": {"epochs": 5,\n   "\\u0065pochs": 80}}');
  assertRefused(ptychostudy(['config', '--check', escaped]), 'config',
    `${escaped}: reconstruction.epochs: expected each setting once; found it twice (line 2, column 21 and line 3, column 4)`);
  const top = file('top.json', '{"simulation": {"seed": 1}, "simulation": {"seed": 2}}');
  assertRefused(ptychostudy(['config', '--check', top]), 'config',
    `${top}: simulation: expected each setting once; found it twice (line 1, column 2 and line 1, column 29)`);
});

test('the JSON scanner follows strings, escapes and nesting: equal keys in other objects, brackets and quotes inside strings are no duplicates', () => {
  const ok = '{"simulation": {"seed": 1, "baseNpz": "a\\"{[,]}\\\\\\":b.npz"}, "overlap": {"seed": 2, "views": {"seed": 0.5, "x": 0.1}},' +
    ' "execution": {"slurm": {"sbatchArgs": ["--x={\\"seed\\":1}", "--y"]}}, "reconstruction": {"objectPlan": {"start": 0}, "probePlan": {"start": 0}}}';
  checkJsonStructure(ok, 'ok.json');
  const parsed = parseSettingsText(ok, 'ok.json') as { simulation: { baseNpz: string } };
  assert.equal(parsed.simulation.baseNpz, 'a"{[,]}\\":b.npz');
  assert.throws(() => checkJsonStructure('{"execution": {"slurm": {"sbatchArgs": [], "x": [{"a": 1, "a": 2}]}}}', 'arr.json'),
    { message: 'arr.json: execution.slurm.x.0.a: expected each setting once; found it twice (line 1, column 51 and line 1, column 59)' });
});

test('deeply nested settings: one line naming the file, no stack overflow (was "Maximum call stack size exceeded", exit 1)', () => {
  const deep = file('deep.json', `{"simulation":{"doses":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`);
  const line = `${deep}: simulation.doses.0.…: expected settings nested at most 64 levels deep (MAX_SETTINGS_DEPTH); found deeper nesting (line 1, column 86)`;
  assertRefused(ptychostudy(['config', '--check', deep]), 'config', line);
  // 3000 deep: refused the same way, not a 6 kB line echoing the value
  const mid = file('deep3000.json', `{"simulation":{"doses":${'['.repeat(3000)}${']'.repeat(3000)}}}`);
  assertRefused(ptychostudy(['config', '--check', mid]), 'config', line.replace(deep, mid));
  // YAML: flow nesting past the parser's own stack, and within it
  const yaml = file('deep.yaml', `simulation:\n  doses: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`);
  assertRefused(ptychostudy(['config', '--check', yaml]), 'config', /^ptychostudy config: \S+deep\.yaml: expected settings nested at most 64 levels deep \(MAX_SETTINGS_DEPTH\); found deeper nesting \(line 2, column \d+\)$/);
  const yaml100 = file('deep100.yaml', `simulation:\n  doses: ${'['.repeat(100)}${']'.repeat(100)}\n`);
  assertRefused(ptychostudy(['config', '--check', yaml100]), 'config',
    `${yaml100}: simulation.doses.0.…: expected settings nested at most 64 levels deep (MAX_SETTINGS_DEPTH); found deeper nesting (in the YAML document)`);
  // exactly the limit is still read (and then checked by the schema as usual)
  const limit = `{"simulation":{"doses":${'['.repeat(MAX_SETTINGS_DEPTH - 2)}${']'.repeat(MAX_SETTINGS_DEPTH - 2)}}}`;
  assert.doesNotThrow(() => parseSettingsText(limit, 'limit.json'));
  assert.throws(() => parseSettingsText(`[${limit}]`, 'over.json'), InputError);
});

test('shown() is bounded and never recurses past its length: a 200 000-deep value, a long string, control characters', () => {
  let deep: unknown = [];
  for (let i = 0; i < 200_000; i++) deep = [deep];
  const s = shown(deep);
  assert.equal(s, `${'['.repeat(200)}…`);
  assert.equal(shown('x'.repeat(5000)), `${'x'.repeat(200)}… (4800 more characters)`);
  assert.equal(shown({ a: 'b\nc\u009b' }), '{"a":"b\\nc\\u009b"}');
  assert.equal(shown([1, 'two', null, true, { k: [Infinity] }]), '[1,"two",null,true,{"k":[null]}]');
  assert.equal(shown(NaN), 'NaN');
  // a settings error of such a value (given in code, not from a file) is one short line
  assert.throws(() => parseStudySettings({ simulation: { doses: deep as number[] } }), (err: unknown) =>
    err instanceof SettingsError && err.message.length < 400 && !err.message.includes('\n'));
});

test('a settings key with a line break and an escape sequence is shown escaped, on one line', () => {
  const key = file('key.json', '{"x\\nptychostudy config: ok.json: ok\\u001b[2K": 1}');
  assertRefused(ptychostudy(['config', '--check', key]), 'config', `${key}: x\\nptychostudy config: ok.json: ok\\u001b[2K: no such setting (check the spelling)`);
  const value = file('value.yaml', 'reconstruction:\n  noiseModel: "poisson\\nptychostudy config: forged\\e[2K"\n');
  assertRefused(ptychostudy(['config', '--check', value]), 'config',
    `${value}: reconstruction.noiseModel: expected gaussian or poisson, found poisson\\nptychostudy config: forged\\u001b[2K`);
  const long = file('long.json', `{"${'k'.repeat(500_000)}": 1}`);
  const r = ptychostudy(['config', '--check', long]);
  assertRefused(r, 'config', `${long}: ${'k'.repeat(200)}… (499800 more characters): no such setting (check the spelling)`);
});
