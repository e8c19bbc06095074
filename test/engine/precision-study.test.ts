/**
 * Float32 against float64 on a small study, end to end through the CLI: `ptychostudy run` (one dose,
 * 300 positions, 10 epochs; its reconstructions run in the engine's default float32), every
 * reconstruction again with `ptychostudy lsqml --precision float64` (the job's own command line from
 * the Phase F manifest), then `ptychostudy compare` with the float64 ones as an external model (its metrics
 * alone: no figures or charts). Every metric the comparison computes, amplitude and phase, must agree within
 * ±0.005 — whatever the metric definitions are, the two precisions are scored by the same code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

function cli(args: string[], cwd?: string): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 600_000, cwd });
  assert.equal(r.status, 0, `ptychostudy ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

function precisionOf(npz: string): unknown {
  const meta = readMetadata(loadNpz(npz));
  assert.equal(meta.status, 'ok');
  return (meta as { value: Record<string, unknown> }).value['precision'];
}

interface Row { view: string; split: string; model: string; status: string; metrics: Record<string, { amplitude: number | null; phase: number | null }> }

test('a small study scores the same in float32 and float64 (every metric within ±0.005)', { timeout: 900_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-precision-'));
  try {
    compareStudy(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

function compareStudy(root: string): void {
  const hub = join(root, 'hub');
  cli(['run', '--preset', 'quick', '--n-images', '300', '--epochs', '10', '--dose', '10000', '--jobs', '2', '--out', hub, '--quiet']);

  const manifest = JSON.parse(readFileSync(join(hub, 'phase_f', 'reconstruction_manifest.json'), 'utf8')) as {
    execution_results: { status: string; dose: number; view: string; split: string; command: string[] }[];
  };
  const done = manifest.execution_results.filter((r) => r.status === 'success');
  assert.equal(done.length, 6, 'baseline, dense and sparse, train and test');
  const f64Root = join(root, 'f64');
  for (const r of done) {
    const args = r.command.slice(2); // drop 'ptychostudy lsqml'
    const out = join(f64Root, `dose_${r.dose}`, r.view, r.split);
    args[args.indexOf('--out') + 1] = out;
    cli(['lsqml', ...args, '--precision', 'float64'], join(hub, 'phase_f')); // the recorded command's paths are relative to the artifact root
    assert.equal(precisionOf(join(hub, 'phase_f', `dose_${r.dose}`, r.view, r.split, 'reconstruction.npz')), 'float32');
    assert.equal(precisionOf(join(out, 'reconstruction.npz')), 'float64');
  }

  const g = join(root, 'g');
  cli(['compare', '--phase-c-root', join(hub, 'phase_c'), '--phase-d-root', join(hub, 'phase_d'), '--phase-f-root', join(hub, 'phase_f'),
    '--out', g, '--model', `F64=${f64Root}/{dose_dir}/{view}/{split}/reconstruction.npz`, '--no-figures', '--no-charts']); // the metrics alone are compared
  const rows = (JSON.parse(readFileSync(join(g, 'metrics_summary.json'), 'utf8')) as { rows: Row[] }).rows;
  let compared = 0;
  const off: string[] = [];
  for (const a of rows.filter((x) => x.model === 'LSQML')) {
    const b = rows.find((x) => x.model === 'F64' && x.view === a.view && x.split === a.split);
    assert.ok(b && a.status === 'ok' && b.status === 'ok', `${a.view}/${a.split}: both scored`);
    for (const [key, pair] of Object.entries(a.metrics)) {
      for (const part of ['amplitude', 'phase'] as const) {
        const x = pair[part], y = b.metrics[key]?.[part];
        if (x === null && (y === null || y === undefined)) continue;
        assert.ok(typeof x === 'number' && typeof y === 'number', `${a.view}/${a.split} ${key} ${part}: ${x} vs ${y}`);
        compared++;
        if (!(Math.abs(x - y) <= 0.005)) off.push(`${a.view}/${a.split} ${key} ${part}: float32 ${x}, float64 ${y}`);
      }
    }
  }
  assert.ok(compared >= 6 * 2 * 4, `only ${compared} metric values compared`);
  assert.deepEqual(off, []);
}
