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
import { readStartRecord } from '../../src/study/slurm/records.js';
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
