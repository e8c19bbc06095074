/**
 * Records read whole are read no further than their bound: a hub's run.json at most 1 MiB (as a settings file),
 * other records (manifests, summaries) at most MAX_RECORD_BYTES; past it, one line naming the file and the bound,
 * whatever the size says (a sparse file costs no disk; /proc/self/pagemap says 0 bytes and reads on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { refused } from './refused.js';
import { MAX_RECORD_BYTES, readTextAtMost } from '../../src/files/bounded-read.js';
import { readJsonRecord } from '../../src/files/json-record.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { readFrcCurves } from '../../src/study/hub/comparison-files.js';
import { runRecordSeconds } from '../../src/study/hub/datasets.js';
import { hubRoots, PHASE_C, PHASE_D } from '../../src/study/hub/layout.js';
import { readOverlapBundle } from '../../src/study/hub/overlap-files.js';
import { phaseCContent } from '../../src/study/run/fingerprints.js';
import { readRunState } from '../../src/study/run/state.js';
import { planSimulation } from '../../src/study/simulate/plan.js';
import { studySteps } from '../../src/study/slurm/plans.js';
import { readPriorRecord, readStartRecord } from '../../src/study/slurm/records.js';
import { ManifestSchema } from '../../src/study/hub/reconstruction-files.js';
import { tempDir } from '../tmp.js';

const root = tempDir('bounded-read');

test('readTextAtMost: the text up to the bound; past it (by its size, or by what it reads) one line naming the file', () => {
  const p = join(root, 'small.json');
  writeFileSync(p, '{"a": "é"}');
  assert.equal(readTextAtMost(p, 10 + 1, 'a record'), '{"a": "é"}');
  refused(() => readTextAtMost(p, 10, 'a record'), new RegExp(`^${p}: 11 bytes; a record has at most 10$`));
  refused(() => readTextAtMost('/proc/self/pagemap', 1 << 20, 'a record'),
    /^\/proc\/self\/pagemap: more than 1048576 bytes \(its size said 0\); a record has at most 1048576$/);
  assert.throws(() => readTextAtMost(join(root, 'none.json'), 10, 'a record'), { code: 'ENOENT' });
  refused(() => readTextAtMost(root, 10, 'a record'), new RegExp(`^${root}: not a regular file \\(a directory\\)$`));
});

test('a hub\'s run.json past 1 MiB is refused in one line before it is read, as a settings file', () => {
  const hub = tempDir('bounded-read-hub');
  const p = join(hub, 'run.json');
  writeFileSync(p, '');
  truncateSync(p, (1 << 20) + 1); // sparse
  refused(() => readRunState(hub), new RegExp(`^${p}: 1048577 bytes; a hub's run\\.json has at most 1048576; this hub cannot be resumed — use a new hub$`));
});

test('a record past MAX_RECORD_BYTES is a broken record naming the file and the bound', () => {
  const p = join(root, 'manifest.json');
  writeFileSync(p, '');
  truncateSync(p, MAX_RECORD_BYTES + 1); // sparse
  refused(() => readJsonRecord(p, 'nothing was written'),
    new RegExp(`^${p}: ${MAX_RECORD_BYTES + 1} bytes; a record has at most ${MAX_RECORD_BYTES}; nothing was written$`));
});

test('a phase manifest past MAX_RECORD_BYTES is refused in one line by what plans, fingerprints and submits a study', async () => {
  const hub = tempDir('bounded-read-manifests');
  const roots = hubRoots(hub);
  const sparse = (dir: string, name: string): string => {
    mkdirSync(dir, { recursive: true });
    const p = join(dir, name);
    writeFileSync(p, '');
    truncateSync(p, MAX_RECORD_BYTES + 1);
    return p;
  };
  const c = sparse(roots.c, PHASE_C.manifest);
  const line = (p: string): RegExp => new RegExp(`^${p}: ${MAX_RECORD_BYTES + 1} bytes; a record has at most ${MAX_RECORD_BYTES}$`);
  const settings = parseStudySettings({ simulation: { doses: [1000] } });
  refused(() => planSimulation(settings, { outputRoot: roots.c, overwrite: false }), line(c));
  refused(() => phaseCContent(hub), line(c));
  writeFileSync(c, '{}');
  const d = sparse(roots.d, PHASE_D.manifest);
  await assert.rejects(studySteps(hub, settings, () => false), (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.match(e.message, line(d));
    return true;
  });
});

test('an overlap bundle or an FRC table past its bound is refused in the bounded reader\'s words', () => {
  const p = join(root, 'big');
  writeFileSync(p, '');
  truncateSync(p, MAX_RECORD_BYTES + 1); // sparse; more than either bound
  refused(() => readOverlapBundle(p), new RegExp(`^${p}: ${MAX_RECORD_BYTES + 1} bytes; an overlap bundle has at most \\d+$`));
  refused(() => readFrcCurves(p), new RegExp(`^${p}: ${MAX_RECORD_BYTES + 1} bytes; an FRC table has at most \\d+$`));
});

test('a SLURM step\'s start record and the evidence it kept (prior-*.json): past MAX_RECORD_BYTES, not JSON or not their schema, one line naming the file', () => {
  const dir = tempDir('bounded-read-slurm');
  const start = join(dir, 'start.json'), prior = join(dir, 'prior-manifest.json');
  assert.equal(readStartRecord(start), undefined, 'no start record: the step has not started');
  writeFileSync(start, '{"run_id": "r1"}');
  assert.deepEqual(readStartRecord(start), { run_id: 'r1' });
  writeFileSync(prior, 'null');
  assert.equal(readPriorRecord(prior, ManifestSchema, 'manifest kept'), null, 'null: no manifest when the step started');
  for (const p of [start, prior]) {
    writeFileSync(p, '');
    truncateSync(p, MAX_RECORD_BYTES + 1); // sparse
  }
  const big = (p: string): RegExp => new RegExp(`^${p}: ${MAX_RECORD_BYTES + 1} bytes; a record has at most ${MAX_RECORD_BYTES}$`);
  refused(() => readStartRecord(start), big(start));
  refused(() => readPriorRecord(prior, ManifestSchema, 'manifest kept'), big(prior));
  writeFileSync(start, '{"run_id": "r1"');
  refused(() => readStartRecord(start), new RegExp(`^${start}: the step start record is not valid JSON \\(.*\\)$`));
  writeFileSync(start, '[1, 2]');
  refused(() => readStartRecord(start), new RegExp(`^${start}: the step start record does not match its schema at \\(top level\\): .*$`));
  writeFileSync(prior, '{"execution_results": 7}');
  refused(() => readPriorRecord(prior, ManifestSchema, 'manifest kept'), new RegExp(`^${prior}: the manifest kept does not match its schema at .*$`));
  refused(() => readPriorRecord(join(dir, 'none.json'), ManifestSchema, 'manifest kept'), /none\.json: the manifest kept is missing; the step wrote it when it started$/);
});

test('a record nested deeper than 64 levels is refused in one line before it is parsed (it overflowed the stack of whatever read it next)', () => {
  const hub = tempDir('bounded-read-deep');
  const p = join(hub, 'run.json');
  const deep = (d: number): string => '['.repeat(d) + ']'.repeat(d);
  writeFileSync(p, `{"tool": "ptychostudy", "phases": {}, "settings": {"doses": [${deep(200_000)}]}}`);
  refused(() => readRunState(hub), new RegExp(`^${p}: expected JSON nested at most 64 levels deep \\(a hub's run\\.json\\); found more; this hub cannot be resumed — use a new hub$`));
  const m = join(hub, 'manifest.json');
  writeFileSync(m, `{"a": ${deep(65)}, "b": "${'['.repeat(100)}"}`);
  refused(() => readJsonRecord(m, 'nothing was written'), new RegExp(`^${m}: expected JSON nested at most 64 levels deep \\(a record\\); found more; nothing was written$`));
  writeFileSync(m, `{"a": ${deep(63)}, "b": "${'['.repeat(100)}"}`);
  assert.deepEqual(Object.keys(readJsonRecord(m, 'nothing was written')!.value as object), ['a', 'b'], '64 levels, and brackets inside strings, are read');
});

test('a job\'s reconstruction_run.json, read for its total_seconds, is a record as the others: bounded, 64 levels deep at most, a file', () => {
  const dir = tempDir('bounded-read-run-record');
  const npz = join(dir, 'reconstruction.npz'); // only its folder is used
  const p = join(dir, 'reconstruction_run.json');
  assert.equal(runRecordSeconds(npz), null, 'no run record: no time');
  writeFileSync(p, '{"total_seconds": 1.5}');
  assert.equal(runRecordSeconds(npz), 1.5);
  writeFileSync(p, `{"total_seconds": 1.5, "x": ${'['.repeat(65)}${']'.repeat(65)}}`);
  refused(() => runRecordSeconds(npz), new RegExp(`^${p}: expected JSON nested at most 64 levels deep \\(a record\\); found more; `));
  writeFileSync(p, '');
  truncateSync(p, MAX_RECORD_BYTES + 1); // sparse
  refused(() => runRecordSeconds(npz), new RegExp(`^${p}: ${MAX_RECORD_BYTES + 1} bytes; a record has at most ${MAX_RECORD_BYTES}; `));
  rmSync(p);
  mkdirSync(p);
  refused(() => runRecordSeconds(npz), new RegExp(`^${p}: expected a JSON file; found a directory; `));
});

test('a record that is not JSON, or JSON that is no object, is refused in one line: the parser\'s quote of a line break is escaped, null is no record', () => {
  const hub = tempDir('bounded-read-not-json');
  const p = join(hub, 'run.json');
  // a byte order mark (an editor's) before a record whose first line ends: JSON.parse's message quoted `"\ufeff{\n  "sche"…`
  writeFileSync(p, '\ufeff{\n  "schema_version": "1.0.0"\n}\n');
  refused(() => readRunState(hub), new RegExp(`^${p}: not valid JSON \\(Unexpected token .*\\\\n.*; this hub cannot be resumed — use a new hub$`));
  const m = join(hub, 'manifest.json');
  writeFileSync(m, '{\n  "a": 1,\n  "b": tru\n}\n');
  refused(() => readJsonRecord(m, 'nothing was written'), new RegExp(`^${m}: not valid JSON \\(.*; nothing was written$`));
  const b = join(hub, 'metrics_bundle.json');
  writeFileSync(b, '{\n  "train": ,\n}\n');
  refused(() => readOverlapBundle(b), new RegExp(`^${b}: not valid JSON \\(.*\\)$`));
  // null, a list, a number: no run record (null was a TypeError, "Cannot read properties of null (reading 'tool')", exit 1)
  for (const text of ['null', '[]', '5', '{"tool": "ptychostudy", "settings": {}, "phases": null}']) {
    writeFileSync(p, text);
    refused(() => readRunState(hub), new RegExp(`^${p}: not a ptychostudy run record \\(expected keys tool, settings, phases\\); use a new hub$`));
  }
});
