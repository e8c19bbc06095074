/**
 * The library's entry points keep off the roots of queued SLURM jobs, as the command line does: a script's
 * `runStudy(hub)` or `runSimulation` into a hub whose submission is held in the queue is refused, naming the
 * jobs, instead of running locally beside them (their merges would then drop what it wrote); `buildReport` and the
 * `report` command refuse such a hub with the same line. Skipped, saying why, where no SLURM answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError, buildReport, parseStudySettings, runSimulation, runStudy, readHubSettings } from '../../src/index.js';
import { tempDir } from '../tmp.js';
import { leaveNoSlurmJobs, noSlurm } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const CLI = resolve('dist', 'src', 'cli', 'main.js');
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });

test('runStudy and runSimulation refuse a hub whose SLURM jobs are queued, as `ptychostudy run` does, and write nothing', { skip: noSlurm() ?? false, timeout: 300_000 }, async () => {
  const hub = join(tempDir('lib-slurm-held'), 'hub');
  const sub = cli(['run', '--preset', 'quick', '--n-images', '24', '--epochs', '2', '--dose', '1e4', '--executor', 'slurm',
    '--slurm-sbatch-arg=--hold', '--detach', '--quiet', '--out', hub]);
  assert.equal(sub.status, 0, sub.stderr);
  try {
    const queued = (pattern: RegExp) => (e: unknown): boolean => {
      assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
      assert.match(e.message, pattern);
      return true;
    };
    const before = readdirSync(hub).sort();
    await assert.rejects(runStudy(hub), queued(/: SLURM jobs of this hub are queued or running \(submission 1: \d+/));
    const settings = readHubSettings(hub)!;
    await assert.rejects(runSimulation(settings, { outputRoot: join(hub, 'phase_c') }), queued(/, which write this root, are queued or running/));
    // the report too (was: built beside the queued jobs, missing what their merges add)
    let refused = '';
    await assert.rejects(buildReport(hub), (e) => { refused = e instanceof Error ? e.message : ''; return queued(/: SLURM jobs of this hub are queued or running \(submission 1: \d+/)(e); });
    // and `ptychostudy report`, with the library's one line and exit code 2 (was: the page built beside them, exit 0)
    const report = cli(['report', '--out', hub]);
    assert.equal(report.status, 2, report.stderr);
    assert.equal(report.stderr, `ptychostudy report: ${refused}\n`);
    assert.equal(report.stdout, '');
    assert.deepEqual(readdirSync(hub).sort(), before, 'nothing written');
    assert.ok(!existsSync(join(hub, 'phase_c', 'dose_10000')));
  } finally {
    const c = cli(['cancel', '--out', hub]);
    assert.equal(c.status, 0, c.stderr);
  }
});

test('settings asking for SLURM are refused by the library, which runs every job here (was: run here all the same), and nothing is written', async () => {
  const dir = tempDir('lib-slurm-executor');
  const settings = parseStudySettings({ preset: 'quick', simulation: { doses: [1e4] }, execution: { executor: 'slurm' } });
  const refused = (e: unknown): boolean => {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    assert.match(e.message, /^execution\.executor 'slurm': expected 'local' from a script — the library runs every job on this machine; submit to SLURM with `ptychostudy (run|generate\|overlap\|reconstruct) --executor slurm` \(docs\/slurm\.md\), or pass `execution: \{ executor: 'local' \}` to run here; nothing was run$/);
    return true;
  };
  await assert.rejects(runStudy(join(dir, 'hub'), { preset: 'quick', execution: { executor: 'slurm' } }), refused);
  await assert.rejects(runSimulation(settings, { outputRoot: join(dir, 'phase_c') }), refused);
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
});
