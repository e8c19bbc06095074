/**
 * `npm test`'s runner (scripts/run-tests.mjs) on a tree of four small test files, in a temporary folder taken as the
 * working directory. Two of them bear names of its longest-first list (e2e/run, report/report): they start before
 * cpu/a, which comes first by name, and run at the same time as the file under dist/test/slurm/, in its lane of its
 * own (each of the three waits until the other two have started, so a runner that runs only two files at once fails
 * them at their deadline). The files' TAP output comes out as one stream, with one plan and one summary that count
 * every file, and the exit code says a test failed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../tmp.js';

/** A test file that marks `name` as started, then waits (up to a minute) until every one of `others` has too. */
const meeting = (name: string, others: string[], extra = ''): string => `import { test } from 'node:test';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const dir = process.env.RUNNER_MARKS;
test('${name} runs while ${others.join(' and ')} run', async () => {
  writeFileSync(join(dir, '${name}'), '');
  const deadline = Date.now() + 60_000;
  while (!${JSON.stringify(others)}.every((o) => existsSync(join(dir, o)))) {
    if (Date.now() > deadline) throw new Error('${others.join(' and ')} did not start while ${name} ran');
    await new Promise((done) => setTimeout(done, 20));
  }
});
${extra}`;

test('the longest files start first; files under dist/test/slurm/ run in a lane of their own beside two others; one TAP stream, one plan, one summary of every file; exit code 1 on a failure', { timeout: 180_000 }, () => {
  const root = tempDir('test-runner');
  const marks = join(root, 'marks');
  mkdirSync(marks);
  const file = (path: string, text: string): void => {
    mkdirSync(join(root, 'dist', 'test', path, '..'), { recursive: true });
    writeFileSync(join(root, 'dist', 'test', path), text);
  };
  file('cpu/a.test.js', `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
test('a starts after run and report', () => {
  assert.ok(existsSync(join(process.env.RUNNER_MARKS, 'run')) && existsSync(join(process.env.RUNNER_MARKS, 'report')));
});
`);
  file('e2e/run.test.js', meeting('run', ['report', 'w']));
  file('report/report.test.js', meeting('report', ['run', 'w']));
  file('slurm/w.test.js', meeting('w', ['run', 'report'], "test('a failure in the SLURM lane', () => { throw new Error('failed on purpose'); });\n"));

  // without NODE_TEST_CONTEXT, which node's test runner gives the file it runs: a `node --test` that finds it runs nothing
  const env: NodeJS.ProcessEnv = { ...process.env, RUNNER_MARKS: marks };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, [resolve('scripts', 'run-tests.mjs')], { cwd: root, encoding: 'utf8', timeout: 170_000, env });
  assert.equal(r.status, 1, `exit code 1: a test failed\n${r.stdout}${r.stderr}`);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'TAP version 13');
  assert.equal(lines.filter((l) => l === 'TAP version 13').length, 1, r.stdout);
  assert.ok(lines.includes('# run-tests: 3 files 2 at a time, beside 1 file under dist/test/slurm/ 1 at a time'), r.stdout);
  // each file's output followed by its wall time
  for (const f of ['cpu/a', 'e2e/run', 'report/report', 'slurm/w']) {
    assert.equal(lines.filter((l) => new RegExp(`^# run-tests: dist/test/${f}\\.test\\.js \\d+\\.\\d s$`).test(l)).length, 1, `${f}:\n${r.stdout}`);
  }
  // every top-level test numbered once, in the order they came
  const results = lines.filter((l) => /^(not )?ok \d+ /.test(l));
  assert.deepEqual(results.map((l) => Number(/\d+/.exec(l)![0])), [1, 2, 3, 4, 5], r.stdout);
  for (const name of ['run runs while report and w run', 'report runs while run and w run', 'w runs while run and report run', 'a starts after run and report']) {
    assert.equal(results.filter((l) => l.endsWith(` - ${name}`) && l.startsWith('ok ')).length, 1, `${name} passed:\n${r.stdout}`);
  }
  assert.equal(results.filter((l) => l.startsWith('not ok ') && l.endsWith(' - a failure in the SLURM lane')).length, 1, r.stdout);
  // one plan and one summary, at the end, of every file
  const summary = lines.filter((l) => /^1\.\.\d+$/.test(l) || /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(l));
  assert.deepEqual(summary.map((l) => l.replace(/^# duration_ms \d+(\.\d+)?$/, '# duration_ms')),
    ['1..5', '# tests 5', '# suites 0', '# pass 4', '# fail 1', '# cancelled 0', '# skipped 0', '# todo 0', '# duration_ms'], r.stdout);
  assert.deepEqual(lines.slice(-summary.length - 1, -1), summary, 'the summary ends the output');
});
