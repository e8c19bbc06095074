/**
 * The report's Resolution table: each cell is the half period 1/(2f) of the row's FRC crossing, f the spatial
 * frequency that the summary, the charts and the Metrics table show (`frcCyclesPerPixel`: ring over the side n of the
 * compared square, at most Nyquist), "≤ 1.0 Nyquist" where the cap applied, "below at ring 0" where the curve started
 * below the threshold; the side n is the summary's own (`frcSide`), so a recorded square without area has none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { frcSection } from '../../src/study/report/curve-sections.js';
import { ImageDir, reportContext } from '../../src/study/report/sections.js';
import type { ReportPlan } from '../../src/study/report/plan.js';
import { frcCyclesPerPixel, type SummaryRowCore } from '../../src/study/hub/metrics-summary.js';
import { hubRoots } from '../../src/study/hub/layout.js';
import { tempDir } from '../tmp.js';

type Rings = { frc50: [number | null, number | null]; frc1over7: [number | null, number | null] };

function row(view: string, shape: [number, number] | null, r: Rings): SummaryRowCore {
  const pair = ([amplitude, phase]: [number | null, number | null]) => ({ amplitude, phase });
  return { dose: 1000, view, split: 'test', model: 'LSQML', status: 'ok', compared_shape: shape, metrics: { frc50: pair(r.frc50), frc1over7: pair(r.frc1over7) } } as unknown as SummaryRowCore;
}

/** The Resolution table's body rows as the text of their cells. */
async function resolutionRows(rows: SummaryRowCore[], pixelSizeM: [number, number] | null): Promise<string[][]> {
  const hub = tempDir('resolution-table');
  const imgDir = join(hub, 'img');
  mkdirSync(imgDir);
  const plan = { hub, roots: hubRoots(hub), jobs: [], pixelSizeM, summary: { rows }, broken: [], imgDir } as unknown as ReportPlan;
  const body = (await frcSection(reportContext(plan, new ImageDir(imgDir)))).body;
  const tbody = /Half-period resolution[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(body);
  assert.ok(tbody, body);
  return [...tbody[1]!.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]*>/g, '')));
}

test('Resolution table: 1/(2f) of the frequency the rest of the report shows, Nyquist where it is capped, ring 0 said so', async () => {
  const rows = [
    row('baseline', [64, 64], { frc50: [5, 3], frc1over7: [12, 9] }),
    // the smaller side is n; ring 50 of 100 px is Nyquist itself, ring 70 beyond it (a corner ring)
    row('dense', [100, 130], { frc50: [50, 70], frc1over7: [49.5, 0] }),
    row('sparse', [90, 90], { frc50: [null, Number.NaN], frc1over7: [0.5, 2.25] }),
  ];
  const got = await resolutionRows(rows, null);
  assert.deepEqual(got, [
    ['1e3', 'baseline', 'test', 'LSQML', '64', '6.4', '10.7', '2.7', '3.6'],
    ['1e3', 'dense', 'test', 'LSQML', '100', '≤ 1.0 Nyquist', '≤ 1.0 Nyquist', '1.0', 'below at ring 0'],
    ['1e3', 'sparse', 'test', 'LSQML', '90', '—', '—', '90.0', '20.0'],
  ]);
  // every number is the half period of the frequency in cycles per pixel that the Metrics table and the charts show
  for (const [i, r] of rows.entries()) {
    for (const [k, [m, c]] of ([['frc50', 'amplitude'], ['frc50', 'phase'], ['frc1over7', 'amplitude'], ['frc1over7', 'phase']] as const).entries()) {
      const f = frcCyclesPerPixel(r, m, c);
      const cell = got[i]![5 + k]!;
      if (f !== null && f > 0 && f < 0.5) assert.equal(cell, (1 / (2 * f)).toFixed(1), `${r.view} ${m} ${c}`);
    }
  }
  // in metres too where the data state the pixel size
  const metres = await resolutionRows(rows.slice(0, 2), [1e-8, 1e-8]);
  assert.equal(metres[0]![5], '6.4 (64 nm)');
  assert.equal(metres[1]![5], '≤ 1.0 (10 nm) Nyquist');
});

test('Resolution table: a recorded square without area has no side n and no half period (it showed n = 0 and n = −4)', async () => {
  const got = await resolutionRows([
    row('dense', [0, 64], { frc50: [5, 3], frc1over7: [12, 9] }),
    row('sparse', [-4, 64], { frc50: [5, 3], frc1over7: [12, 9] }),
  ], null);
  for (const r of got) assert.deepEqual(r.slice(4), ['—', '—', '—', '—', '—'], r.join(' | '));
});
