/**
 * The folders a run creates to hold its own (missingDirs) and their removal while they hold nothing
 * (removeEmptyDirs): what an interrupted comparison does with the run folder it reserved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { missingDirs, removeEmptyDirs } from '../../src/files/dirs.js';
import { tempDir } from '../tmp.js';

test('missingDirs lists the folders mkdir -p would create, outermost first; removeEmptyDirs removes them innermost first while empty', () => {
  const root = tempDir('dirs');
  const run = join(root, 'out', 'runs', 'r1');
  const created = missingDirs(run);
  assert.deepEqual(created, [join(root, 'out'), join(root, 'out', 'runs'), run]);
  mkdirSync(run, { recursive: true });
  assert.deepEqual(missingDirs(run), []);
  // a job's file in the output root: the run folder and runs/ go, the root and its file stay
  writeFileSync(join(root, 'out', 'job.csv'), 'x\n');
  removeEmptyDirs(created);
  assert.ok(!existsSync(join(root, 'out', 'runs')));
  assert.ok(existsSync(join(root, 'out', 'job.csv')));
  // a folder that holds anything (another run's folder) stops the removal there, whatever lies outside it
  mkdirSync(join(root, 'out', 'runs', 'r0'), { recursive: true });
  mkdirSync(run);
  removeEmptyDirs([join(root, 'out'), join(root, 'out', 'runs'), run]);
  assert.ok(!existsSync(run));
  assert.ok(existsSync(join(root, 'out', 'runs', 'r0')));
  // nothing created: nothing removed
  removeEmptyDirs([]);
  assert.ok(existsSync(join(root, 'out', 'runs')));
});
