/**
 * Same seed, same bytes for a whole hub: the tiny study (`scripts/hub-digests.mjs`, one dose, six
 * 2-epoch reconstructions) is run through the CLI and every file's digest — every NPZ array, manifest,
 * log, figure, chart and the report, with times, durations, the host and the hub's path taken out — must
 * equal the committed fixture `test/fixtures/hub-digests/tiny.json` (see its README for when and how it is
 * regenerated). Run a second time into another directory — a relative path from another working directory, two
 * jobs at once (so one thread per reconstruction), another time zone and language — it must give the same
 * digests, and the files the README names as byte-identical (`BYTE_IDENTICAL`) must be exactly the same bytes,
 * with nothing taken out. That second hub then takes a
 * resumed `run` (stopped during Phase G) and a `compare` of its dense jobs at the same instant: both merge into the one summary and
 * no row of either is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsSummarySchema } from '../../src/study/hub/metrics-summary.js';
import { readMetadata } from '../../src/data/metadata.js';
import { loadNpz } from '../../src/npy/npz.js';
import { startTogether } from '../concurrency/start-together.js';
import { tempDir } from '../tmp.js';

type Digests = Record<string, string | Record<string, string>>;
interface DigestScript {
  FIXTURE: string;
  TINY_ARGS: string[];
  runTinyStudy(hub: string, cli?: string, variant?: { cwd?: string; jobs?: number; env?: Record<string, string> }): void;
  hubDigests(hub: string): Digests;
  byteIdenticalFiles(hub: string): string[];
}

const script = (await import(new URL('../../../scripts/hub-digests.mjs', import.meta.url).href)) as DigestScript;
const dir = tempDir('digests');
const hubA = join(dir, 'first', 'hub');
const hubB = join(dir, 'second', 'elsewhere', 'hub');

/** Asserts that `hub` holds exactly the files of the committed fixture, each with its digests. */
function assertFixtureDigests(hub: string): void {
  const expected = JSON.parse(readFileSync(script.FIXTURE, 'utf8')) as Digests;
  const got = script.hubDigests(hub);
  assert.deepEqual(Object.keys(got), Object.keys(expected), 'the hub holds other files than the fixture lists');
  const differ: string[] = [];
  for (const [file, want] of Object.entries(expected)) {
    const have = got[file]!;
    if (typeof want === 'string') { if (have !== want) differ.push(file); continue; }
    for (const [member, d] of Object.entries(want)) {
      if ((have as Record<string, string>)[member] !== d) differ.push(`${file}:${member}`);
    }
    const extra = Object.keys(have as Record<string, string>).filter((m) => !(m in want));
    for (const m of extra) differ.push(`${file}:${m} (not in the fixture)`);
  }
  assert.deepEqual(differ, [], `files whose bytes differ from the fixture: ${differ.join(', ')}`);
}

test('the tiny study writes exactly the files and bytes of the committed digests', { timeout: 300_000 }, () => {
  script.runTinyStudy(hubA);
  assertFixtureDigests(hubA);
});

test('run again elsewhere, otherwise: every file the README names as byte-identical is the same bytes, the others the same digests', { timeout: 300_000 }, () => {
  // another directory, named by a relative path from another working directory; two jobs at once, so each
  // reconstruction runs on 1 thread (the first hub's on min(2, cores)); another time zone and language
  mkdirSync(join(dir, 'second'), { recursive: true });
  script.runTinyStudy(join('elsewhere', 'hub'), undefined, {
    cwd: join(dir, 'second'), jobs: 2, env: { TZ: 'Pacific/Kiritimati', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' },
  });
  // times, durations, the host, the hub's path and the thread count taken out, the other files are the same too
  assertFixtureDigests(hubB);
  const files = script.byteIdenticalFiles(hubA);
  assert.deepEqual(script.byteIdenticalFiles(hubB), files, 'the same byte-identical files');
  // the tiny study has 1 dose, 2 views × 2 splits of Phase D, 6 jobs: every kind of file is there
  const count = (re: RegExp): number => files.filter((f) => re.test(f)).length;
  assert.equal(count(/^phase_c\/.*\.npz$/), 2);
  assert.equal(count(/^phase_d\/.*\.npz$/), 4);
  assert.equal(count(/^phase_d\/.*\.json$/), 6);
  assert.equal(count(/^phase_f\/.*reconstruction\.npz$/), 6);
  assert.equal(count(/^phase_f\/.*reconstruction\.png$/), 6);
  assert.equal(count(/^phase_g\/dose.*reconstructions_aligned\.npz$/), 6);
  assert.equal(count(/^phase_g\/dose.*frc_curves\.csv$/), 6);
  assert.equal(count(/^phase_g\/charts\//), 14);
  assert.ok(count(/^report\/img\//) >= 14);
  assert.equal(count(/^design\.json$/), 1);
  const differ = files.filter((f) => !readFileSync(join(hubA, f)).equals(readFileSync(join(hubB, f))));
  assert.deepEqual(differ, [], 'byte-identical files that differ between the two hubs');
  // nothing in them names where the hub was (nor any other absolute path)
  for (const f of files.filter((x) => /\.(json|npz)$/.test(x))) {
    const text = f.endsWith('.json') ? readFileSync(join(hubB, f), 'utf8') : JSON.stringify(readMetadata(loadNpz(join(hubB, f), ['_metadata'])));
    assert.ok(!text.includes(dir), `${f} holds the hub's path`);
    assert.doesNotMatch(text, /"\/(tmp|home|work)\//, `${f} holds an absolute path`);
  }
});

test('a resumed run and a compare of the same hub at the same instant: both merge, no row is lost', { timeout: 300_000 }, async () => {
  const before = MetricsSummarySchema.parse(JSON.parse(readFileSync(join(hubB, 'phase_g', 'metrics_summary.json'), 'utf8')));
  // as if the first run had been stopped during Phase G: the resumed run compares again (a finished hub resumes doing nothing)
  const statePath = join(hubB, 'run.json');
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as { status: string; phases: Record<string, unknown> };
  delete state.phases['compare'];
  delete state.phases['report'];
  state.status = 'interrupted';
  writeFileSync(statePath, JSON.stringify(state, null, 2));
  const runArgs = script.TINY_ARGS.filter((a) => a !== '--quiet');
  const [run, cmp] = await startTogether([
    [...runArgs, '--quiet', '--out', hubB],
    ['compare', '--phase-c-root', join(hubB, 'phase_c'), '--phase-d-root', join(hubB, 'phase_d'), '--phase-f-root', join(hubB, 'phase_f'),
      '--out', join(hubB, 'phase_g'), '--view', 'dense', '--no-figures', '--no-charts', '--json', '--quiet'],
  ], join(dir, 'barrier'));
  assert.equal(run!.status, 0, run!.stderr);
  assert.equal(cmp!.status, 0, cmp!.stderr);
  const standalone = (JSON.parse(cmp!.stdout) as { run_id: string }).run_id;
  const s = MetricsSummarySchema.parse(JSON.parse(readFileSync(join(hubB, 'phase_g', 'metrics_summary.json'), 'utf8')));
  const added = s.runs.filter((r) => !before.runs.some((b) => b.run_id === r.run_id));
  assert.equal(added.length, 2, 'both runs are recorded');
  const ofRun = added.find((r) => r.filters.view === null)!.run_id;
  assert.ok(added.some((r) => r.run_id === standalone && r.filters.view === 'dense'));
  assert.equal(s.rows.length, 6, 'one current row per job');
  for (const row of s.rows) {
    const ids = [row.run_id, ...row.history.map((h) => h.run_id)];
    assert.ok(ids.includes(ofRun), `${row.view}/${row.split}: the run's row is kept`);
    if (row.view === 'dense') assert.ok(ids.includes(standalone), `${row.view}/${row.split}: the compare's row is kept`);
  }
  // the resumed hub's byte-identical files are the same bytes as the uninterrupted first hub's
  const files = script.byteIdenticalFiles(hubA);
  assert.deepEqual(script.byteIdenticalFiles(hubB), files);
  assert.deepEqual(files.filter((f) => !readFileSync(join(hubA, f)).equals(readFileSync(join(hubB, f)))), [], 'byte-identical files that the resume changed');
});
