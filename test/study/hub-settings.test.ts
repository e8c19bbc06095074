/**
 * A hub's own settings as a resume reads them (`readHubSettings`): settings.json, bounded like any settings
 * file; when it is gone, run.json's full record of every setting (not its short record over the defaults); a
 * settings.json that is a link to nothing is broken, not absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import { newRunState, readHubSettings, writeHubSettings, writeRunState } from '../../src/study/run/state.js';

const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-hub-settings-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A hub's run.json (no phase run yet) for these settings, and its settings.json unless `withFile` is false. */
function hubOf(name: string, input: Parameters<typeof parseStudySettings>[0], withFile = true): string {
  const hub = join(dir, name);
  mkdirSync(hub);
  const settings = parseStudySettings(input);
  writeRunState(hub, newRunState(settings, '0.0.0', '2026-01-01T00:00:00Z'));
  if (withFile) writeHubSettings(hub, settings);
  return hub;
}

const POISSON = { preset: 'quick', reconstruction: { noiseModel: 'poisson', batchSize: 32 }, overlap: { views: { dense: 0.6 } } } as const;

test('a hub whose settings.json is gone resumes with every setting run.json records (was: the defaults of all but seven)', () => {
  const hub = hubOf('no-file', POISSON, false);
  const s = readHubSettings(hub)!;
  assert.equal(s.reconstruction.noiseModel, 'poisson');
  assert.equal(s.reconstruction.batchSize, 32);
  assert.deepEqual(s.overlap.views, { dense: 0.6 });
  assert.deepEqual(s, parseStudySettings(POISSON));
  // with the file, the same settings
  assert.deepEqual(readHubSettings(hubOf('with-file', POISSON)), s);
});

test('a settings.json that is a link to nothing is refused, not taken for an absent one', () => {
  const hub = hubOf('dangling', POISSON, false);
  symlinkSync(join(dir, 'nowhere.json'), join(hub, 'settings.json'));
  assert.throws(() => readHubSettings(hub), {
    message: `${join(hub, 'settings.json')}: expected the hub's settings file; found a symbolic link to nothing; this hub cannot be resumed until it is repaired`,
  });
});

test('a hub\'s settings.json is read no further than a settings file\'s limit (was: read whole, however large)', () => {
  const hub = hubOf('big', { preset: 'quick' }, false);
  const path = join(hub, 'settings.json');
  writeFileSync(path, '{}');
  truncateSync(path, 1 << 30); // 1 GiB, sparse: nothing of it is on the disk
  assert.throws(() => readHubSettings(hub), {
    message: `${path}: more than 1048576 bytes; a settings file has at most 1048576; this hub cannot be resumed until it is repaired`,
  });
});
