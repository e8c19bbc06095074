/**
 * What `run`, `overlap` and `report` do with evidence that is broken or busy: a present but broken record is
 * an error naming the file (exit 2) and is never replaced or treated as absent; a root another process is
 * writing is not read or skipped over; a finished phase is not redone and a killed phase is not recorded
 * complete. A file only the report reads that is there but broken is named (exit 1) and listed on the page, which is
 * written from the rest. One tiny hub is built once and copied for each case; the cases run two at a time, except those
 * that stop a command at a chosen moment, which run alone after them.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from '../study/reconstruct-helpers.js';
import { studySplit, tempDir, writePhaseCDose } from '../study/overlap-fixtures.js';
import { waitFor } from './child.js';
import { ptychostudyAsync, type Run } from '../data/cli-run.js';
import { phaseDContent } from '../../src/study/run/fingerprints.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const TINY = ['--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1'];

/** `ptychostudy ARGS` in a child process, without blocking the event loop: the cases below run two at a time. */
const cli = (args: string[], cwd?: string): Promise<Run> => ptychostudyAsync(args, { env: { NO_COLOR: '1' }, timeoutMs: 300_000, ...(cwd !== undefined ? { cwd } : {}) });

const json = (p: string): any => JSON.parse(readFileSync(p, 'utf8'));

let base = '';
before(async () => {
  base = join(tmp('evidence'), 'hub');
  const r = await cli(['run', ...TINY, '--out', base, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
});

/** A copy of the finished tiny hub. */
function hubCopy(label: string): string {
  const hub = join(tmp(`evidence-${label}`), 'hub');
  cpSync(base, hub, { recursive: true });
  return hub;
}

/** Files under `root` with their sizes (and modification times): what a run may not have touched. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${p.slice(root.length)} ${st.size} ${st.mtimeMs}`);
    }
  };
  walk(root);
  return out;
}

describe('a broken or replaced record or file, each on its own copy of the tiny hub (two cases at a time: each runs its own commands)', { concurrency: 2 }, () => {
  test('overlap: a present but broken overlap_manifest.json is exit 2 naming it; nothing is written and no dose is dropped', async () => {
    const root = tempDir('ev-c');
    const out = tempDir('ev-d');
    writePhaseCDose(root, 1000, studySplit(60, 1), studySplit(60, 2));
    writePhaseCDose(root, 10000, studySplit(60, 1), studySplit(60, 2));
    assert.equal((await cli(['overlap', '--phase-c-root', root, '--output-root', out, '--dose', '1e3'])).status, 0);
    const manifest = join(out, 'overlap_manifest.json');
    assert.ok(json(manifest).doses.dose_1000);
    truncateSync(manifest, 40);
    const broken = readFileSync(manifest);
    const r = await cli(['overlap', '--phase-c-root', root, '--output-root', out, '--dose', '1e4']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /overlap_manifest\.json: not valid JSON/);
    assert.deepEqual(readFileSync(manifest), broken, 'the broken manifest was replaced');
    assert.ok(!existsSync(join(out, 'dose_10000')), 'views were written before the manifest was checked');
  });

  test('run: a settings.json that is a directory is one line naming it, exit 2', async () => {
    const hub = hubCopy('settings-dir');
    rmSync(join(hub, 'settings.json'));
    mkdirSync(join(hub, 'settings.json'));
    const r = await cli(['run', '--out', hub]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /settings\.json: not a regular file \(a directory\); this hub cannot be resumed/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  test('run: a broken reconstruction of a finished job is exit 2 naming it, not "already complete"', { timeout: 120_000 }, async () => {
    const hub = hubCopy('broken-f');
    const npz = join(hub, 'phase_f', 'dose_10000', 'sparse', 'test', 'reconstruction.npz');
    truncateSync(npz, statSync(npz).size - 100);
    const before = listing(hub);
    const r = await cli(['run', '--out', hub]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /sparse\/test\/reconstruction\.npz: the recorded reconstruction of a finished job is broken/);
    assert.doesNotMatch(r.stderr, /reconstruct: skipped/);
    assert.deepEqual(listing(hub), before, 'the hub changed');
  });

  test('run: a reconstruction replaced by another valid one is exit 2 naming it, recorded vs found; it is not compared as the job\'s', { timeout: 120_000 }, async () => {
    const hub = hubCopy('replaced-f');
    const npz = join(hub, 'phase_f', 'dose_10000', 'sparse', 'test', 'reconstruction.npz');
    const result = json(join(hub, 'phase_f', 'reconstruction_manifest.json')).execution_results
      .find((r: any) => r.view === 'sparse' && r.split === 'test');
    assert.equal(result.reconstruction_size, statSync(npz).size, 'Phase F records the size it wrote');
    cpSync(join(hub, 'phase_f', 'dose_10000', 'dense', 'test', 'reconstruction.npz'), npz);
    const before = listing(hub);
    const r = await cli(['run', '--out', hub]);
    assert.equal(r.status, 2, r.stderr);
    assert.ok(r.stderr.includes(`${npz}: expected ${result.reconstruction_size} bytes, SHA-256 ${result.reconstruction_sha256.slice(0, 16)}`), r.stderr);
    assert.match(r.stderr, /found \d+ bytes(, SHA-256 [0-9a-f]{16}…)?; it was changed since the job wrote it/);
    assert.doesNotMatch(r.stderr, /compare:/);
    assert.deepEqual(listing(hub), before, 'the hub changed');
  });

  test('run: a broken Phase C input of finished jobs is exit 2 naming it; nothing is re-run or archived', { timeout: 120_000 }, async () => {
    const hub = hubCopy('broken-c');
    const npz = join(hub, 'phase_c', 'dose_10000', 'patched_test.npz');
    truncateSync(npz, statSync(npz).size - 100);
    const before = listing(hub);
    const r = await cli(['run', '--out', hub]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /phase_c\/dose_10000\/patched_test\.npz: /);
    assert.deepEqual(listing(hub), before, 'the hub changed');
    const again = await cli(['reconstruct', '--phase-c-root', join(hub, 'phase_c'), '--phase-d-root', join(hub, 'phase_d'), '--out', join(hub, 'phase_f'),
      '--config', join(hub, 'settings.json')]);
    assert.equal(again.status, 2, again.stderr);
    // refused before any job is looked at: the file is not what Phase C recorded writing
    assert.match(again.stderr, /phase_c\/dose_10000\/patched_test\.npz: expected \d+ bytes, SHA-256 [0-9a-f]{16}… \(what run_manifest\.json records Phase C wrote\); found \d+ bytes;/);
    assert.deepEqual(listing(hub), before, 'reconstruct changed the hub');
  });

  test('reconstruct, compare: a Phase C, D or F file they read, replaced since its phase wrote it, is exit 2 naming it, recorded vs found; nothing is written', { timeout: 120_000 }, async () => {
    const hub = hubCopy('replaced-read'); // a copy: every path its manifests record is relative, so the copy is checked against its own files
    const [c, d, f, g] = ['phase_c', 'phase_d', 'phase_f', 'phase_g'].map((p) => join(hub, p)) as [string, string, string, string];
    const reconstruct = (): Promise<Run> => cli(['reconstruct', '--phase-c-root', c, '--phase-d-root', d, '--out', f, '--config', join(hub, 'settings.json')]);
    const compare = (): Promise<Run> => cli(['compare', '--phase-c-root', c, '--phase-d-root', d, '--phase-f-root', f, '--out', g, '--no-figures', '--no-charts']);
    // unchanged, the copy is read as it is: every job already complete, every comparison made
    const same = await reconstruct();
    assert.equal(same.status, 0, same.stderr);
    assert.equal((await compare()).status, 0);
    const fResult = json(join(f, 'reconstruction_manifest.json')).execution_results.find((r: any) => r.view === 'sparse' && r.split === 'test');
    const view = join(d, 'dose_10000', 'sparse', 'sparse_test.npz');
    const cases: [string, string, RegExp, (() => Promise<Run>)[]][] = [
      [join(c, 'dose_10000', 'patched_test.npz'), join(c, 'dose_10000', 'patched_train.npz'), /\(what run_manifest\.json records Phase C wrote\)/, [reconstruct, compare]],
      [view, view.replace('sparse_test', 'sparse_train'), /\(what overlap_manifest\.json records Phase D wrote\)/, [reconstruct, compare]],
      [join(f, 'dose_10000', 'sparse', 'test', 'reconstruction.npz'), join(f, 'dose_10000', 'dense', 'test', 'reconstruction.npz'),
        new RegExp(`expected ${fResult.reconstruction_size} bytes, SHA-256 ${fResult.reconstruction_sha256.slice(0, 16)}… \\(what reconstruction_manifest\\.json records the job wrote\\)`),
        [compare]],
    ];
    for (const [file, other, recorded, commands] of cases) {
      const original = readFileSync(file);
      cpSync(other, file);
      const before = listing(hub);
      for (const command of commands) {
        const r = await command();
        assert.equal(r.status, 2, `${file}: ${r.stderr}`);
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        assert.equal(lines.length, 1, r.stderr);
        assert.ok(lines[0]!.includes(`${file}: expected `), lines[0]);
        assert.match(lines[0]!, recorded);
        assert.ok(lines[0]!.includes(`found ${statSync(file).size} bytes;`), lines[0]); // another size: the hash is not needed
        assert.deepEqual(listing(hub), before, `${file}: the hub changed`);
      }
      writeFileSync(file, original);
    }
  });

  test('compare: the Phase C splits its metadata-compliance table reads are checked too, those of no selected job included; nothing is written', { timeout: 120_000 }, async () => {
    const hub = hubCopy('compliance-read');
    const [c, d, f, g] = ['phase_c', 'phase_d', 'phase_f', 'phase_g2'].map((p) => join(hub, p)) as [string, string, string, string];
    const train = join(c, 'dose_10000', 'patched_train.npz');
    const entry = json(join(c, 'run_manifest.json')).dose_10000;
    // the test split's baseline job reads patched_test.npz only; the summary's compliance table reads both splits
    cpSync(join(c, 'dose_10000', 'patched_test.npz'), train);
    const r = await cli(['compare', '--phase-c-root', c, '--phase-d-root', d, '--phase-f-root', f, '--out', g, '--view', 'baseline', '--split', 'test',
      '--no-figures', '--no-charts']);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]!.includes(`${train}: expected ${entry.train_size} bytes, SHA-256 ${entry.train_sha256.slice(0, 16)}`), lines[0]);
    assert.match(lines[0]!, /\(what run_manifest\.json records Phase C wrote\); found \d+ bytes; it was changed since Phase C wrote it/);
    assert.ok(!existsSync(g), 'Phase G wrote files');
  });

  test('compare without --phase-d-root: the dense and sparse ground truth is the Phase D root Phase F recorded, checked against Phase D\'s manifest', { timeout: 120_000 }, async () => {
    const hub = hubCopy('no-d-root');
    const [c, d, f] = ['phase_c', 'phase_d', 'phase_f'].map((p) => join(hub, p)) as [string, string, string];
    // run from inside the Phase D root: a path relative to the working directory is not where the ground truth comes from
    const compare = (out: string): Promise<Run> => cli(['compare', '--phase-c-root', c, '--phase-f-root', f, '--out', join(hub, out), '--view', 'sparse', '--split', 'test',
      '--no-figures', '--no-charts', '--json', '--quiet'], d);
    const ok = await compare('g1');
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).compared, 1, ok.stdout);
    const row = json(join(hub, 'g1', 'metrics_summary.json')).rows.find((x: any) => x.view === 'sparse' && x.split === 'test');
    assert.equal(row.ground_truth, '../phase_d/dose_10000/sparse/sparse_test.npz');
    const view = join(d, 'dose_10000', 'sparse', 'sparse_test.npz');
    cpSync(view.replace('sparse_test', 'sparse_train'), view);
    const r = await compare('g2');
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]!.includes(`${view}: expected `), lines[0]);
    assert.match(lines[0]!, /\(what overlap_manifest\.json records Phase D wrote\); found \d+ bytes; it was changed since Phase D wrote it/);
    assert.ok(!existsSync(join(hub, 'g2')), 'Phase G wrote files');
  });

  test('run, overlap: a Phase C data file replaced by another valid dataset is exit 2 naming it, recorded vs found; nothing is redone beside the old results', { timeout: 120_000 }, async () => {
    const hub = hubCopy('replaced-c');
    const c = join(hub, 'phase_c');
    const test = join(c, 'dose_10000', 'patched_test.npz');
    const entry = json(join(c, 'run_manifest.json')).dose_10000;
    assert.equal(entry.test_size, statSync(test).size, 'Phase C records the size it wrote');
    assert.match(entry.test_sha256, /^[0-9a-f]{64}$/);
    const original = readFileSync(test);
    // another dataset of the same contract in its place (the train split): Phase F would redo its test jobs from it
    cpSync(join(c, 'dose_10000', 'patched_train.npz'), test);
    const found = statSync(test).size;
    const before = listing(hub);
    const r = await cli(['run', '--out', hub]);
    assert.equal(r.status, 2, r.stderr);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('ptychostudy run: '));
    assert.equal(errors.length, 1, r.stderr);
    const line = errors[0]!;
    assert.ok(line.includes(`${test}: expected ${entry.test_size} bytes, SHA-256 ${entry.test_sha256.slice(0, 16)}`), line);
    assert.ok(line.includes(`found ${found} bytes;`), line);
    assert.doesNotMatch(r.stderr, /reconstruct:/);
    assert.deepEqual(listing(hub), before, 'the hub changed');
    // Phase D, which reads Phase C data, refuses it too before writing anything
    const out = join(tmp('replaced-c-d'), 'd');
    const d = await cli(['overlap', '--phase-c-root', c, '--out', out]);
    assert.equal(d.status, 2, d.stderr);
    assert.ok(d.stderr.includes(`${test}: expected ${entry.test_size} bytes`), d.stderr);
    assert.ok(!existsSync(join(out, 'dose_10000')), 'Phase D wrote views from the replaced file');
    // the same size but one byte changed: found by the hash
    const edited = Buffer.from(original);
    edited[edited.length >> 1] ^= 0xff;
    writeFileSync(test, edited);
    const again = await cli(['run', '--out', hub]);
    assert.equal(again.status, 2, again.stderr);
    assert.ok(again.stderr.includes(`${test}: expected ${entry.test_size} bytes`), again.stderr);
    assert.match(again.stderr, new RegExp(`found ${entry.test_size} bytes, SHA-256 (?!${entry.test_sha256.slice(0, 16)})[0-9a-f]{16}`));
  });

  test('run: a record of a completed phase that is present but broken is exit 2 naming it; nothing is rebuilt from it', { timeout: 120_000 }, async () => {
    const cases: [string, (p: string) => void, RegExp][] = [
      ['design.json', (p) => truncateSync(p, 30), /design\.json: not valid JSON/],
      ['design.json', (p) => { rmSync(p); mkdirSync(p); }, /design\.json: expected a JSON file; found a directory/],
      ['phase_c/run_manifest.json', (p) => truncateSync(p, 30), /phase_c\/run_manifest\.json: not valid JSON/],
      ['phase_d/overlap_manifest.json', (p) => truncateSync(p, 30), /phase_d\/overlap_manifest\.json: not valid JSON/],
      ['phase_g/metrics_summary.json', (p) => truncateSync(p, 30), /phase_g\/metrics_summary\.json: not valid JSON/],
      // Phase D's results, which a resume used to trust until the report was rebuilt
      ['phase_d/dose_10000/dense/metrics_bundle.json', (p) => truncateSync(p, 30),
        /dense\/metrics_bundle\.json: expected \d+ bytes, SHA-256 [0-9a-f]{16}… \(what overlap_manifest\.json records Phase D wrote\); found 30 bytes;/],
      ['phase_d/dose_10000/sparse/sparse_test.npz', (p) => cpSync(p.replace('sparse_test', 'sparse_train'), p),
        /sparse\/sparse_test\.npz: expected \d+ bytes, SHA-256 [0-9a-f]{16}… \(what overlap_manifest\.json records Phase D wrote\); found \d+ bytes/],
      ['phase_d/dose_10000/dense/test_metrics.json', (p) => rmSync(p), /dense\/test_metrics\.json: expected \d+ bytes, .*found no file/],
    ];
    for (const [file, breakIt, message] of cases) {
      const hub = hubCopy('broken-record');
      breakIt(join(hub, file));
      const before = listing(hub);
      const r = await cli(['run', '--out', hub]);
      assert.equal(r.status, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, message, file);
      assert.deepEqual(listing(hub), before, `${file}: the hub changed`);
    }
  });

  test('run: a hub whose Phase D manifest predates file hashes still refuses a truncated or mismatched metrics_bundle.json', { timeout: 120_000 }, async () => {
    for (const [breakIt, message] of [
      [(p: string) => truncateSync(p, 30), /dense\/metrics_bundle\.json: not valid JSON/],
      [(p: string) => { const b = json(p); b.test = b.train; writeFileSync(p, JSON.stringify(b)); },
        /dense\/metrics_bundle\.json: key 'test': expected the metrics of .*dense\/test_metrics\.json; found other values/],
    ] as const) {
      const hub = hubCopy('legacy-d');
      // the manifest as builds before file hashes wrote it, and run.json's record of it
      const manifestPath = join(hub, 'phase_d', 'overlap_manifest.json');
      const manifest = json(manifestPath);
      for (const dose of Object.values(manifest.doses) as any[]) for (const v of Object.values(dose.views) as any[]) delete v.files;
      writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
      const state = json(join(hub, 'run.json'));
      state.phases.overlap.outputs_sha256 = phaseDContent(hub);
      writeFileSync(join(hub, 'run.json'), JSON.stringify(state, null, 2) + '\n');
      assert.match((await cli(['run', '--out', hub])).stderr, /overlap: skipped/, 'the legacy hub resumes');
      breakIt(join(hub, 'phase_d', 'dose_10000', 'dense', 'metrics_bundle.json'));
      const before = listing(hub);
      const r = await cli(['run', '--out', hub]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.deepEqual(listing(hub), before, 'the hub changed');
    }
  });

  test('report: a present but broken input is exit 1 naming it, the page lists it and the earlier report is kept; an absent one is "not available"', { timeout: 120_000 }, async () => {
    for (const file of ['phase_g/metrics_summary.json', 'design.json', 'phase_f/reconstruction_manifest.json']) {
      const hub = hubCopy('broken-report');
      const earlier = readFileSync(join(hub, 'report', 'index.html'));
      truncateSync(join(hub, file), 30);
      const r = await cli(['report', '--out', hub]);
      assert.equal(r.status, 1, `${file}: ${r.stderr}`);
      const lines = r.stderr.split('\n').filter((l) => l.includes('(broken evidence'));
      assert.equal(lines.length, 1, `${file}: ${r.stderr}`);
      assert.ok(lines[0]!.startsWith(`${join(hub, file)}: `), lines[0]);
      assert.ok(readFileSync(join(hub, 'report', 'index.html'), 'utf8').includes(join(hub, file)), `${file}: the page does not name it`);
      const history = join(hub, 'report', 'history');
      const kept = readdirSync(history).filter((d) => d.startsWith('replaced-'));
      assert.equal(kept.length, 1, `${file}: ${kept.join(', ')}`);
      assert.deepEqual(readFileSync(join(history, kept[0]!, 'index.html')), earlier, `${file}: the earlier report was not kept`);
    }
    const hub = hubCopy('absent-report');
    rmSync(join(hub, 'design.json'));
    const r = await cli(['report', '--out', hub]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(join(hub, 'report', 'index.html'), 'utf8'), /Not available:<\/strong> study design/);
    // progress: one line per section as it is built, in page order
    const progress = r.stderr.split('\n').filter((l) => l.startsWith('report: '));
    assert.equal(progress.length, 11, r.stderr);
    progress.forEach((l, i) => assert.match(l, new RegExp(`^report: ${i + 1}/11 \\S.* \\(\\d+\\.\\d s\\)$`)));
    assert.match(progress[0]!, /^report: 1\/11 At a glance /);
  });

  test('run: a chart PNG overwritten in place (same size) while the report is rebuilt is exit 1 naming it; the page is written and lists it; every later run names it again until it is repaired', { timeout: 120_000 }, async () => {
    const hub = hubCopy('broken-chart');
    const charts = join(hub, 'phase_g', 'charts');
    const png = readdirSync(charts).filter((f) => f.endsWith('.png')).sort()[0]!;
    const file = join(charts, png);
    // the same size: Phase G's outputs fingerprint (names and sizes) is unchanged, so compare is not redone; the IEND chunk is gone
    const bytes = readFileSync(file);
    bytes.fill(0, bytes.length - 12);
    writeFileSync(file, bytes);
    rmSync(join(hub, 'report', 'index.html')); // the report's output changed: the report phase is redone
    const compare = json(join(hub, 'run.json')).phases.compare;
    const r = await cli(['run', '--out', hub]);
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(json(join(hub, 'run.json')).phases.compare, compare, 'compare was redone (and wrote the chart again)');
    const lines = r.stderr.split('\n').filter((l) => l.includes('broken evidence'));
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]!.startsWith(`${file}: expected a whole PNG image`), lines[0]);
    const page = readFileSync(join(hub, 'report', 'index.html'), 'utf8');
    assert.match(page, /Broken evidence/);
    assert.ok(page.includes(file), 'the page does not name the broken chart');
    const recorded = json(join(hub, 'run.json')).phases.report;
    assert.equal(recorded.status, 'complete');
    assert.equal(recorded.failures, 1, 'the broken file is recorded as the report\'s failure');
    // run again with nothing changed: the report is built again and names the file still broken (exit 1), never
    // skipped as "inputs and outputs unchanged" with exit 0
    const again = await cli(['run', '--out', hub]);
    assert.equal(again.status, 1, again.stderr);
    assert.doesNotMatch(again.stderr, /report: skipped/);
    const lines2 = again.stderr.split('\n').filter((l) => l.includes('broken evidence: the report shows it as broken'));
    assert.equal(lines2.length, 1, again.stderr);
    assert.ok(lines2[0]!.startsWith(`${file}: expected a whole PNG image`), lines2[0]);
    assert.deepEqual(json(join(hub, 'run.json')).phases.compare, compare, 'compare was redone');
    // repaired: the next run builds a page without broken evidence, exit 0, and the one after skips it
    writeFileSync(file, readFileSync(join(base, 'phase_g', 'charts', png)));
    const repaired = await cli(['run', '--out', hub]);
    assert.equal(repaired.status, 0, repaired.stderr);
    assert.doesNotMatch(readFileSync(join(hub, 'report', 'index.html'), 'utf8'), /Broken evidence/);
    assert.equal(json(join(hub, 'run.json')).phases.report.failures, undefined);
    const idle = await cli(['run', '--out', hub]);
    assert.equal(idle.status, 0, idle.stderr);
    assert.match(idle.stdout + idle.stderr, /nothing to do/);
  });
});

// These stop a command at a chosen moment (a lock held, a phase under way): each runs alone, so that no other case's
// commands slow the one it stops.
test('run: a Phase F root that another reconstruct is writing is not skipped over or read (exit 2 naming the holder)', { timeout: 300_000 }, async () => {
  const hub = hubCopy('busy-f');
  const before = json(join(hub, 'run.json'));
  const child = spawn(process.execPath, [CLI, 'reconstruct', '--phase-c-root', join(hub, 'phase_c'), '--phase-d-root', join(hub, 'phase_d'),
    '--out', join(hub, 'phase_f'), '--doses', '1e4', '--epochs', '30', '--force', '--jobs', '1'], { stdio: 'ignore' });
  const exited = new Promise((done) => child.on('exit', done));
  try {
    await waitFor(() => existsSync(join(hub, 'phase_f', '.reconstruct.lock')), child, 60_000);
    const r = await cli(['run', '--out', hub]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /phase_f: another reconstruct run \(pid \d+\)/);
    assert.doesNotMatch(r.stderr, /reconstruct: skipped/);
    assert.deepEqual(json(join(hub, 'run.json')), before, 'run.json changed');
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
});

test('run: a report phase killed while it builds leaves the earlier report whole and is not recorded complete', { timeout: 120_000 }, async () => {
  const hub = hubCopy('killed-report');
  // settings.json rewritten with the same settings in another layout: only the report has to be redone
  writeFileSync(join(hub, 'settings.json'), JSON.stringify(json(join(hub, 'settings.json'))));
  const page = readFileSync(join(hub, 'report', 'index.html'));
  const images = readdirSync(join(hub, 'report', 'img')).sort();
  const child = spawn(process.execPath, [CLI, 'run', '--out', hub, '--quiet'], { stdio: 'ignore' });
  const exited = new Promise((done) => child.on('exit', done));
  await waitFor(() => { try { return json(join(hub, 'run.json')).phases.report.started !== json(join(base, 'run.json')).phases.report.started; } catch { return false; } }, child, 60_000);
  await new Promise((done) => setTimeout(done, 300));
  child.kill('SIGKILL');
  await exited;
  const state = json(join(hub, 'run.json'));
  const now = readdirSync(join(hub, 'report', 'img')).sort();
  assert.ok(existsSync(join(hub, 'report', 'index.html')), 'no index.html');
  assert.deepEqual(now, images, 'the report\'s images are not whole');
  if (state.phases.report.status === 'complete') assert.notDeepEqual(readFileSync(join(hub, 'report', 'index.html')), page);
  else assert.deepEqual(readFileSync(join(hub, 'report', 'index.html')), page, 'the earlier page was replaced');
  assert.notEqual(state.status === 'complete' && state.phases.report.status !== 'complete', true);
  const again = await cli(['run', '--out', hub]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(json(join(hub, 'run.json')).phases.report.status, 'complete');
  assert.deepEqual(readdirSync(join(hub, 'report', 'img')).sort(), images);
});

test('run: a compare killed after its merge (before run.json records it) is not redone on resume', { timeout: 180_000 }, async () => {
  const hub = hubCopy('killed-compare');
  rmSync(join(hub, 'phase_g'), { recursive: true }); // Phase G must be done again
  const summary = join(hub, 'phase_g', 'metrics_summary.json');
  const child = spawn(process.execPath, [CLI, 'run', '--out', hub, '--quiet'], { stdio: 'ignore' });
  const exited = new Promise((done) => child.on('exit', done));
  await new Promise<void>((done, fail) => {
    const t0 = Date.now();
    const tick = (): void => {
      if (existsSync(summary)) { child.kill('SIGKILL'); return done(); }
      if (child.exitCode !== null || Date.now() - t0 > 120_000) return fail(new Error('the summary never appeared'));
      setTimeout(tick, 2);
    };
    tick();
  });
  await exited;
  assert.notEqual(json(join(hub, 'run.json')).phases.compare.status, 'complete', 'killed too late: run.json already records the compare');
  const r = await cli(['run', '--out', hub]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /compare: skipped \(finished by the interrupted run/);
  const merged = json(summary);
  assert.equal(merged.runs.length, 1, 'the compare ran twice');
  assert.ok(merged.rows.every((row: { history: unknown[] }) => row.history.length === 0), 'rows have history entries');
  assert.equal(json(join(hub, 'run.json')).phases.compare.status, 'complete');
  assert.equal(json(join(hub, 'run.json')).status, 'complete');
  for (const f of readdirSync(join(base, 'phase_g', 'charts'))) {
    assert.deepEqual(readFileSync(join(hub, 'phase_g', 'charts', f)), readFileSync(join(base, 'phase_g', 'charts', f)), f);
  }
  const again = await cli(['run', '--out', hub]);
  assert.match(again.stderr, /nothing to do/);
});
