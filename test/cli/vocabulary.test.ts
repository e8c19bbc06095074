/**
 * One vocabulary across commands: `--out` for the folder a command writes (old names hidden, still
 * working), repeatable `--dose`, help that wraps to the terminal width without breaking a word and
 * never shows `(default: [])`, colour for status words only where it belongs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp, writeTree } from '../study/reconstruct-helpers.js';

const cli = 'dist/src/cli/main.js';
const COMMANDS = ['run', 'generate', 'overlap', 'reconstruct', 'lsqml', 'compare', 'report', 'export', 'inspect', 'config'];
const ptychostudy = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env } });

/** `--help` of `cmd` laid out for `columns` (stdout is a pipe, so COLUMNS decides; unset: 80). */
async function help(cmd: string, columns: string): Promise<string> {
  const r = await promisify(execFile)(process.execPath, [cli, ...(cmd ? [cmd] : []), '--help'],
    { encoding: 'utf8', env: { ...process.env, COLUMNS: columns } });
  return r.stdout;
}

test('--help of every command fits 80 columns (piped: no terminal width) without a broken word, and wraps to COLUMNS', async () => {
  const words = new Set<string>();
  const cmds = ['', ...COMMANDS];
  const texts = await Promise.all(cmds.flatMap((c) => ['', '200'].map((cols) => help(c, cols))));
  for (const [i, cmd] of cmds.entries()) {
    const [base, wide] = texts.slice(2 * i, 2 * i + 2) as [string, string];
    const lines = base.split('\n');
    const long = lines.filter((l) => [...l].length > 80);
    assert.deepEqual(long, [], `${cmd || 'ptychostudy'} --help has lines over 80 columns`);
    assert.doesNotMatch(base, /\(default: \[\]\)/, `${cmd}: an empty default is shown`);
    for (const w of base.split(/\s+/)) words.add(w);
    // every word of the 80-column text is a word of the text laid out at 200 columns: nothing was split
    const wideWords = new Set(wide.split(/\s+/));
    const split = base.split(/\s+/).filter((w) => !wideWords.has(w));
    assert.deepEqual(split, [], `${cmd}: words broken at 80 columns`);
    assert.ok(wide.split('\n').length < lines.length, `${cmd}: COLUMNS=200 is not used`);
  }
  for (const cmd of ['run', 'lsqml']) {
    const at120 = await help(cmd, '120');
    assert.deepEqual(at120.split('\n').filter((l) => [...l].length > 120), [], `${cmd} at 120`);
  }
  // the shared names are documented, the old ones are not
  for (const old of ['--output-root', '--artifact-root', '--output-dir', '--input-npz', '--hub ']) assert.ok(!words.has(old.trim()), old);
});

test('every command that writes a folder names it --out; the old names still work (and disagreeing values are refused)', () => {
  for (const cmd of ['run', 'generate', 'overlap', 'reconstruct', 'lsqml', 'compare', 'report']) {
    assert.match(ptychostudy([cmd, '--help']).stdout, /^ {2}--out <dir> /m, `${cmd} --out`);
  }
  const root = tmp('vocabulary');
  const t = writeTree(root, { doses: [1000] });
  const common = ['--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--doses', '1000', '--dose', '1000', '--view', 'baseline',
    '--split', 'train', '--dry-run'];
  const viaOld = ptychostudy(['reconstruct', ...common, '--artifact-root', join(root, 'old')]);
  assert.equal(viaOld.status, 0, viaOld.stderr);
  assert.match(viaOld.stdout, /manifest: +\S+old\/reconstruction_manifest\.json/);
  const both = ptychostudy(['reconstruct', ...common, '--out', join(root, 'a'), '--artifact-root', join(root, 'b')]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--out and --artifact-root name the same option with different values/);
  const report = ptychostudy(['report', '--hub', join(root, 'nothing')]);
  assert.equal(report.status, 2);
  assert.match(report.stderr, /--out \S+nothing: no such directory/);
});

test('reconstruct --dose 1e3 --dose 1e4 runs the jobs of both doses (repeatable or comma-separated)', () => {
  const root = tmp('two-doses');
  const t = writeTree(root, { doses: [1000, 10000, 100000] });
  for (const [doses, label] of [[['--dose', '1e3', '--dose', '1e4'], 'a'], [['--dose', '1e3,1e4'], 'b']] as const) {
    const out = join(root, label);
    const r = ptychostudy(['reconstruct', '--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--out', out, ...doses, '--dry-run']);
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(readFileSync(join(out, 'reconstruction_manifest.json'), 'utf8'));
    assert.deepEqual([...new Set(m.jobs.map((j: { dose: number }) => j.dose))], [1000, 10000]);
    assert.equal(m.jobs.length, 12);
    assert.deepEqual(m.filters.dose, [1000, 10000]);
    const skips = JSON.parse(readFileSync(join(out, 'skip_summary.json'), 'utf8'));
    assert.equal(skips.skipped_count, 6);
    assert.ok(skips.skipped_jobs.every((s: { dose: number; reason: string }) => s.dose === 100000 && s.reason === 'dose filter (requested: 1000.0, 10000.0)'));
  }
});

test('status words are coloured only for a terminal that takes colour: never when piped or with NO_COLOR; FORCE_COLOR forces it', () => {
  const dir = tmp('colour');
  const file = join(dir, 's.yaml');
  writeFileSync(file, 'reconstruction:\n  epochs: 7\n');
  const piped = ptychostudy(['config', '--check', file]);
  assert.equal(piped.status, 0, piped.stderr);
  assert.match(piped.stdout, /: ok; 1 setting differs/);
  assert.doesNotMatch(piped.stdout, /\x1b\[/);
  const forced = ptychostudy(['config', '--check', file], { FORCE_COLOR: '1' });
  assert.match(forced.stdout, /: \x1b\[32mok\x1b\[39m; /);
  const none = ptychostudy(['config', '--check', file], { FORCE_COLOR: '1', NO_COLOR: '1' });
  assert.doesNotMatch(none.stdout, /\x1b\[/);
});
