/**
 * A stop (SIGTERM) that lands after a Phase F job's last epoch, while Phase F stores its result (its outputs moved in
 * from staging, the input's fingerprint awaited: the event loop turns, and the stop handler runs), does not lose the
 * job: the handler has it recorded before the process exits 143, and the next run finds it complete and runs nothing.
 * The stop is sent at that point by the child's own engine (stop-while-storing-fixture.ts), not after a delay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import { runReconstruction } from '../../src/study/reconstruct/phase.js';
import { testEngine, writeTree } from '../study/reconstruct-helpers.js';
import { tempDir } from '../tmp.js';

const FIXTURE = join(process.cwd(), 'dist', 'test', 'cli', 'stop-while-storing-fixture.js');

test('SIGTERM while Phase F stores a job whose engine finished: the job is recorded before the exit (143), and the next run skips it', () => {
  const root = join(tempDir('stop-while-storing'), 'study');
  writeTree(root, { doses: [1000] });
  const child = spawnSync(process.execPath, [FIXTURE, root], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 143, child.stderr);
  assert.match(child.stderr, /stopped by SIGTERM \(saved: true\)/);

  const jobDir = join(root, 'artifacts', 'dose_1000', 'dense', 'train');
  assert.ok(existsSync(join(jobDir, 'reconstruction.npz')), `reconstruction.npz in place (${readdirSync(jobDir).join(', ')})`);
  assert.deepEqual(readdirSync(jobDir).filter((n) => n.startsWith('.')), [], 'no staging folder, no temporary left');
  const manifest = JSON.parse(readFileSync(join(root, 'artifacts', 'reconstruction_manifest.json'), 'utf8')) as { execution_results: { split: string; status: string }[] };
  assert.deepEqual(manifest.execution_results.map((r) => [r.split, r.status]), [['train', 'success']]);

  return (async () => {
    const engine = testEngine();
    const again = await runReconstruction(parseStudySettings({ simulation: { doses: [1000] }, reconstruction: { epochs: 2 } }), {
      phaseCRoot: join(root, 'phase_c'), phaseDRoot: join(root, 'phase_d'), outputRoot: join(root, 'artifacts'),
      filters: { view: 'dense', split: 'train' }, engine: engine.executor,
    });
    assert.equal(again.alreadyComplete, 1);
    assert.equal(engine.calls.length, 0, 'the finished job was not done again');
  })();
});
