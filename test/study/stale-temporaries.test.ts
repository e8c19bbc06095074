/**
 * The temporary files a process killed mid-write leaves in a hub: a resume removes those of the hub's own records
 * (run.json, settings.json, design.json, which only the holder of the hub's lock writes) at once when their process
 * is gone, and any other only when it is older than a minute; a live process's are never removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUB_RECORDS, removeStaleTemporaries } from '../../src/study/run/study.js';
import { tempDir } from '../tmp.js';

/** The pid of a process that has ended (as a kill -9 leaves it). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('removeStaleTemporaries: a killed run\'s fresh run.json temporary goes at once under the hub lock; other fresh ones, and a live writer\'s, stay', () => {
  const hub = tempDir('stale-temporaries');
  const dead = deadPid();
  mkdirSync(join(hub, 'phase_g'));
  const files = {
    runJson: `.tmp-run.json.${dead}.0a1b2c3d`,
    settings: `.tmp-settings.json.${dead}.0a1b2c3e`,
    live: `.tmp-run.json.${process.pid}.0a1b2c3f`,
    otherFresh: `.tmp-metrics_summary.json.${dead}.0a1b2c40`,
    otherOld: `.tmp-metrics_summary.csv.${dead}.0a1b2c41`,
  };
  for (const name of Object.values(files)) writeFileSync(join(hub, name), '{"half');
  // a record's name in a phase folder is not the hub's record: only the minute rule applies there
  writeFileSync(join(hub, 'phase_g', files.runJson), '{"half');
  const old = new Date(Date.now() - 2 * 60_000);
  utimesSync(join(hub, files.otherOld), old, old);
  // without the hub's records named (a caller that does not hold the hub's lock): the minute rule alone
  removeStaleTemporaries(hub);
  assert.deepEqual(readdirSync(hub).sort(), [files.live, files.otherFresh, files.runJson, files.settings, 'phase_g'].sort());
  removeStaleTemporaries(hub, Date.now(), HUB_RECORDS);
  assert.deepEqual(readdirSync(hub).sort(), [files.live, files.otherFresh, 'phase_g'].sort());
  assert.deepEqual(readdirSync(join(hub, 'phase_g')), [files.runJson]);
});
