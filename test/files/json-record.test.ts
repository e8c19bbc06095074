/**
 * A JSON record a command builds on is absent only when nothing is at its path: a dangling symbolic link or a
 * directory where the file belongs is a broken record (InputError naming the path), never an absent one.
 * The Phase D manifest stands for every record read this way; a SLURM step start record for those each reader words itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { readOverlapManifest } from '../../src/study/overlap/record.js';
import { readPriorRecord, readStartRecord } from '../../src/study/slurm/records.js';
import { readJsonRecord } from '../../src/files/json-record.js';
import { ManifestSchema } from '../../src/study/hub/reconstruction-files.js';
import { tempDir } from '../tmp.js';

test('a manifest with nothing at its path is absent; a valid link to one is read', () => {
  const dir = tempDir('json-record');
  assert.deepEqual(readOverlapManifest(join(dir, 'overlap_manifest.json')), {});
  const real = join(dir, 'real.json');
  writeFileSync(real, '{"doses": {}}\n');
  const link = join(dir, 'linked.json');
  symlinkSync(real, link);
  assert.deepEqual(readOverlapManifest(link), { doses: {} });
});

test('a dangling symbolic link where the manifest belongs is a broken record naming the path and the link', () => {
  const dir = tempDir('json-record');
  const path = join(dir, 'overlap_manifest.json');
  symlinkSync(join(dir, 'moved-away.json'), path);
  assert.throws(() => readOverlapManifest(path), (err: Error) => {
    assert.ok(err instanceof InputError);
    assert.ok(err.message.startsWith(`${path}: expected a JSON file; found a symbolic link to ${join(dir, 'moved-away.json')}, which does not exist;`), err.message);
    assert.equal(err.message.split('\n').length, 1);
    return true;
  });
});

test('a directory where the manifest belongs is a broken record', () => {
  const dir = tempDir('json-record');
  const path = join(dir, 'overlap_manifest.json');
  mkdirSync(path);
  assert.throws(() => readOverlapManifest(path), (err: Error) => err instanceof InputError && err.message.startsWith(`${path}: expected a JSON file; found a directory;`));
});

test('a record read back with its own wording (a SLURM step start record) is broken as any other: a directory, a dangling link, a file where a folder belongs', () => {
  const dir = tempDir('json-record');
  const asDir = join(dir, 'start.json');
  mkdirSync(asDir);
  const dangling = join(dir, 'linked-start.json');
  symlinkSync('moved-away.json', dangling);
  writeFileSync(join(dir, 'plain'), '{}');
  const under = join(dir, 'plain', 'start.json');
  for (const [path, found] of [[asDir, 'a directory'], [dangling, 'a symbolic link to moved-away.json, which does not exist'],
    [under, 'a path that cannot be examined (ENOTDIR)']] as const) {
    assert.throws(() => readStartRecord(path), (err: Error) => err instanceof InputError && err.message === `${path}: expected a JSON file; found ${found}`);
  }
  assert.equal(readStartRecord(join(dir, 'none.json')), undefined, 'nothing at the path: the step has not started');
});

test('evidence a SLURM step kept (prior-*.json): a dangling link or a directory there is broken, not "missing"; JSON null is the none it kept', () => {
  const dir = tempDir('json-record');
  const read = (path: string) => readPriorRecord(path, ManifestSchema, 'reconstruction manifest kept as the step started');
  const dangling = join(dir, 'prior-manifest.json');
  symlinkSync('moved-away.json', dangling);
  const asDir = join(dir, 'prior-skip-summary.json');
  mkdirSync(asDir);
  for (const [path, found] of [[dangling, 'a symbolic link to moved-away.json, which does not exist'], [asDir, 'a directory']] as const) {
    assert.throws(() => read(path), (err: Error) => err instanceof InputError && err.message === `${path}: expected a JSON file; found ${found}`, path);
  }
  const none = join(dir, 'prior-none.json');
  assert.throws(() => read(none), (err: Error) => err instanceof InputError &&
    err.message === `${none}: the reconstruction manifest kept as the step started is missing; the step wrote it when it started`);
  const kept = join(dir, 'prior-null.json');
  writeFileSync(kept, 'null\n');
  assert.equal(read(kept), null, 'JSON null: no manifest when the step started');
});

test('a record read without a consequence (the report, which lists why under "Broken evidence") ends with why it is broken', () => {
  const dir = tempDir('json-record');
  const path = join(dir, 'design.json');
  writeFileSync(path, '{"doses": ');
  for (const [consequence, tail] of [[undefined, ''], ['nothing was written', '; nothing was written']] as const) {
    assert.throws(() => readJsonRecord(path, consequence), (err: Error) => err instanceof InputError && new RegExp(`^${path}: not valid JSON \\([^)]*\\)${tail}$`).test(err.message), String(consequence));
  }
  const dangling = join(dir, 'run.json');
  symlinkSync('gone.json', dangling);
  assert.throws(() => readJsonRecord(dangling), (err: Error) => err instanceof InputError && err.message === `${dangling}: expected a JSON file; found a symbolic link to gone.json, which does not exist`);
});
