/**
 * Whole commands writing into one root at the same instant (each child is held by a preloaded barrier,
 * test/concurrency/barrier.ts, until a shared start time): several `compare` with different filters merge
 * into one Phase G summary and no run loses a row; several `reconstruct` with different filters into one
 * artifact root — the first takes the root's lock for its run, the others fail at once (exit 2, one line
 * naming the holder) and write nothing, and the manifest holds exactly the winners' results.
 * (`run` against a `compare` into its hub is in test/study/hub-digests.test.ts, on the tiny study's hub.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MetricsSummarySchema } from '../../src/study/hub/metrics-summary.js';
import { ManifestSchema } from '../../src/study/hub/reconstruction-files.js';
import { makeHub } from '../study/compare-hub.js';
import { startTogether } from './start-together.js';
import { tempDir } from '../tmp.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const root = tempDir('concurrency');

test('4 compares with different filters into one output root at once, 3 trials: every run\'s rows are merged, none lost', { timeout: 240_000 }, async () => {
  const hub = makeHub(join(root, 'cmp'));
  const filters = [['--dose', '1000', '--split', 'train'], ['--dose', '1000', '--split', 'test'], ['--dose', '10000', '--split', 'train'], ['--dose', '100000', '--split', 'test']];
  for (let trial = 0; trial < 3; trial++) {
    const out = join(hub.g, `trial-${trial}`);
    const results = await startTogether(filters.map((f) => ['compare', '--phase-c-root', hub.c, '--phase-f-root', hub.f, '--out', out,
      ...f, '--no-figures', '--no-charts', '--json', '--quiet']), join(root, `cmp-barrier-${trial}`));
    for (const r of results) assert.equal(r.status, 0, r.stderr);
    const runIds = results.map((r) => (JSON.parse(r.stdout) as { run_id: string }).run_id);
    const s = MetricsSummarySchema.parse(JSON.parse(readFileSync(join(out, 'metrics_summary.json'), 'utf8')));
    assert.deepEqual(s.runs.map((r) => r.run_id).sort(), [...runIds].sort(), `trial ${trial}: every run recorded`);
    assert.deepEqual(s.rows.map((r) => `${r.dose}|${r.split}`).sort(), ['1000|test', '1000|train', '10000|train', '100000|test'].sort(), `trial ${trial}: every run's row kept`);
    for (const [i, f] of filters.entries()) {
      const row = s.rows.find((r) => String(r.dose) === f[1] && r.split === f[3])!;
      assert.equal(row.run_id, runIds[i], 'the row is the one that run computed');
      assert.equal(row.status, 'ok');
      assert.ok(existsSync(join(out, 'runs', runIds[i]!, 'metrics_summary.json')), 'each run keeps its own snapshot');
    }
    const csv = readFileSync(join(out, 'metrics_summary.csv'), 'utf8');
    for (const f of filters) assert.match(csv, new RegExp(`^${f[1]},baseline,${f[3]},LSQML,ok,`, 'm'), 'the CSV is the merged summary');
    assert.ok(!existsSync(join(out, '.compare.lock')));
  }
});

test('3 reconstructs with different filters into one artifact root at once, 2 trials: one runs, the others fail at once naming it, no row lost', { timeout: 300_000 }, () => {
  const c = join(root, 'rc', 'phase_c'), d = join(root, 'rc', 'phase_d');
  const gen = spawnSync(process.execPath, [CLI, 'generate', '--out', c, '--dose', '1000', '--n-images', '40', '--seed', '3'], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  const ov = spawnSync(process.execPath, [CLI, 'overlap', '--phase-c-root', c, '--out', d], { encoding: 'utf8' });
  assert.equal(ov.status, 0, ov.stderr);
  return (async () => {
    const views = ['baseline', 'dense', 'sparse'];
    for (let trial = 0; trial < 2; trial++) {
      const f = join(root, 'rc', `phase_f-${trial}`);
      const results = await startTogether(views.map((v) => ['reconstruct', '--phase-c-root', c, '--phase-d-root', d, '--out', f,
        '--doses', '1000', '--view', v, '--split', 'test', '--epochs', '2', '--jobs', '1']), join(root, `rc-barrier-${trial}`));
      // 0: every job succeeded, 1: its job failed (recorded) — either way that run ran
      const won = views.filter((_, i) => results[i]!.status === 0 || results[i]!.status === 1);
      assert.ok(won.length >= 1, `trial ${trial}: nobody ran: ${results.map((r) => r.stderr).join('\n')}`);
      for (const [i, r] of results.entries()) {
        if (r.status === 0 || r.status === 1) continue;
        assert.equal(r.status, 2, r.stderr);
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0]!, new RegExp(`^ptychostudy reconstruct: ${f}: another reconstruct run \\(pid \\d+\\) on host \\S+ since \\S+Z is writing into this artifact root \\(lock ${f}/\\.reconstruct\\.lock\\)$`), views[i]);
      }
      const m = ManifestSchema.parse(JSON.parse(readFileSync(join(f, 'reconstruction_manifest.json'), 'utf8')));
      assert.deepEqual(m.execution_results.map((r) => r.view).sort(), [...won].sort(), `trial ${trial}: exactly the results of the runs that ran`);
      assert.equal(m.runs.length, won.length, 'one run record per run that ran');
      assert.equal(readdirSync(join(f, 'runs')).length, won.length, 'a run refused at once leaves no snapshot');
      assert.ok(!existsSync(join(f, '.reconstruct.lock')));
    }
  })();
});
