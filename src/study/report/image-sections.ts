/**
 * The report's image sections: "At a glance" (key facts, the headline scores, and a dose × view grid of
 * the aligned phase images per split, all on one colour scale, the splits' grids too) and "Reconstructions" (the reconstructed probe
 * of every dose and view, and each job's comparison figure, linked to full size).
 */
import { join } from 'node:path';
import { amplitudeOf, comparisonImages, phaseOf } from '../../metrics/index.js';
import { percentileRange } from '../../report/colormap.js';
import { clipNote, FADE_RULE, layoutPanels, readableWidth, renderFigure, type FigureRow, type Panel } from '../../report/figure.js';
import { esc, grid, table, type Cell, type Section } from '../../report/html.js';
import { formatLength } from '../../report/scalebar.js';
import { formatNumber, formatTicks } from '../../report/ticks.js';
import { readAlignedPair } from '../hub/comparison-files.js';
import { comparisonFigureOptions, comparisonPanels, type AlignedPair } from '../hub/comparison-figure.js';
import { doseDirName, jobDir, PHASE_F, PHASE_G, SPLITS, VIEWS, type JobAddress } from '../hub/layout.js';
import { OWN_MODEL } from '../hub/metrics-summary.js';
import { readReconstructedProbe } from '../hub/reconstruction-arrays.js';
import { readFigureRecord } from '../hub/figure-record.js';
import { readReconstruction } from '../hub/datasets.js';
import { reconstructionFigureOptions, reconstructionFigureTitle, reconstructionPanels } from '../hub/reconstruction-figure.js';
import { reconstructionParts } from './plan.js';
import { partValue } from './reconstruction-reads.js';
import { copyOrBroken, doseLabel, fmt, present, tryOr, type ReportContext } from './sections.js';
import { yieldToEventLoop } from '../phase.js';

/**
 * The narrowest width (CSS px) at which a figure shows its smallest text at 8 CSS px, from the size the phase that drew
 * it recorded in the JSON record `record` (`figure`: figure-record.ts; `recordKind` what that record is, `figureName` the
 * figure, for messages). A record written before it kept that size, or a broken one (named under Broken evidence with a
 * note in `notes`): `laidOut`, the figure laid out again as the phase drew it.
 */
function recordedReadableWidth(ctx: ReportContext, record: string, recordKind: string, figureName: string, notes: string[],
  laidOut: () => number | null): number | null {
  const figure = tryOr(() => readFigureRecord(record, recordKind), (m) => notes.push(ctx.bad(`record of the ${figureName}`, record, m)));
  return figure !== null ? readableWidth(figure.svg_width, figure.smallest_text_svg_px) : laidOut();
}

/**
 * The narrowest width (CSS px) at which job `j`'s comparison figure shows its smallest text at 8 CSS px: from the size
 * of the figure that its comparison.json records (`figure`, which Phase G writes as it draws it); without it, the
 * figure laid out again (not drawn) as Phase G drew it, from the job's aligned images of every model its summary rows
 * scored. Null when neither is known (the figure then shrinks to its column as any other; a broken file of the aligned
 * images is named by At a glance, which reads it too).
 */
function comparisonReadableWidth(ctx: ReportContext, j: JobAddress, notes: string[]): number | null {
  return recordedReadableWidth(ctx, join(jobDir(ctx.plan.roots.g, j), PHASE_G.json), 'a job\'s comparison record',
    `comparison figure of ${doseDirName(j.dose)}/${j.view}/${j.split}`, notes, () => comparisonReadableWidthLaidOut(ctx, j));
}

/** `comparisonReadableWidth` of a job whose comparison.json records no figure size: the figure laid out again. */
function comparisonReadableWidthLaidOut(ctx: ReportContext, j: JobAddress): number | null {
  const rows = (ctx.plan.summary?.rows ?? []).filter((r) => r.dose === j.dose && r.view === j.view && r.split === j.split && r.status === 'ok');
  if (rows.length === 0) return null;
  const file = join(jobDir(ctx.plan.roots.g, j), PHASE_G.alignedNpz);
  return tryOr(() => {
    const pairs: AlignedPair[] = [];
    for (const r of rows) {
      const pair = readAlignedPair(file, r.model);
      if (pair === null) return null;
      pairs.push({ model: r.model, ...pair });
    }
    const panels = comparisonPanels(pairs);
    const f = layoutPanels(panels, comparisonFigureOptions(j, rows, panels.length));
    return readableWidth(f.width, f.smallestText);
  }, () => {});
}

/**
 * The narrowest width (CSS px) at which job `j`'s Phase F reconstruction figure shows its smallest text at 8 CSS px:
 * from the size of the figure that its reconstruction_run.json records (`figure`, which Phase F writes as it draws
 * it); without it, the figure laid out again (not drawn) as Phase F drew it, from the job's reconstruction.npz, its
 * title from the file's `_metadata` (input file, positions, epochs run). Null when neither is known (the figure then
 * shrinks to its column as any other).
 */
function reconstructionReadableWidth(ctx: ReportContext, j: JobAddress, notes: string[]): number | null {
  return recordedReadableWidth(ctx, join(jobDir(ctx.plan.roots.f, j), PHASE_F.runRecord), 'a reconstruction\'s run record',
    `reconstruction figure of ${doseDirName(j.dose)}/${j.view}/${j.split}`, notes, () => reconstructionReadableWidthLaidOut(ctx, j));
}

/** `reconstructionReadableWidth` of a job whose reconstruction_run.json records no figure size: the figure laid out again. */
function reconstructionReadableWidthLaidOut(ctx: ReportContext, j: JobAddress): number | null {
  const npz = join(jobDir(ctx.plan.roots.f, j), PHASE_F.reconstruction);
  return tryOr(() => {
    const rec = readReconstruction(npz);
    const probe = readReconstructedProbe(npz);
    const input = rec.metadata?.input as { file?: unknown } | undefined;
    const positions = rec.metadata?.n_positions, epochs = rec.metadata?.epochs_run;
    if (probe === null || typeof input?.file !== 'string' || typeof positions !== 'number' || typeof epochs !== 'number') return null;
    const panels = reconstructionPanels({
      object: rec.object.data, width: rec.object.w, height: rec.object.h, probe: probe.probe.data, size: probe.probe.w, modes: probe.modes,
    }, null);
    const f = layoutPanels(panels, reconstructionFigureOptions(reconstructionFigureTitle(input.file, positions, epochs)));
    return readableWidth(f.width, f.smallestText);
  }, () => {});
}

/** Views that occur among the jobs, in the canonical order. */
function viewsOf(jobs: readonly JobAddress[]): string[] {
  return VIEWS.filter((v) => jobs.some((j) => j.view === v));
}

function dosesOf(jobs: readonly JobAddress[]): number[] {
  return [...new Set(jobs.map((j) => j.dose))].sort((a, b) => a - b);
}

/** The aligned phases of one split's jobs (ground truth and reconstruction), by `dose|view`, and the cells whose files are broken. */
interface SplitPhases {
  split: string;
  views: string[];
  doses: number[];
  phases: Map<string, { gt: Panel; rec: Panel }>;
  brokenCells: Set<string>;
  /** The ground-truth panel of each view (that of its first dose with one), the grid's top row. */
  gtCells: (Panel | null)[];
}

/** Reads the aligned phases of one split, or null when nothing was compared. */
function splitPhases(ctx: ReportContext, split: string, notes: string[]): SplitPhases | null {
  const { plan } = ctx;
  const jobs = plan.jobs.filter((j) => j.split === split);
  const views = viewsOf(jobs);
  const doses = dosesOf(jobs);
  const phases = new Map<string, { gt: Panel; rec: Panel }>();
  const brokenCells = new Set<string>();
  for (const j of jobs) {
    const file = join(jobDir(plan.roots.g, j), PHASE_G.alignedNpz);
    if (!present(file)) continue;
    const pair = tryOr(() => readAlignedPair(file, OWN_MODEL), (m) => { notes.push(ctx.bad(`aligned images of ${doseDirName(j.dose)}/${j.view}/${j.split}`, file, m)); brokenCells.add(`${j.dose}|${j.view}`); });
    if (!pair) continue;
    const c = comparisonImages(pair.gt, pair.rec);
    const w = pair.gt.w, h = pair.gt.h;
    phases.set(`${j.dose}|${j.view}`, {
      gt: { width: w, height: h, values: c.phT.data, quantity: 'object-phase' },
      rec: { width: w, height: h, values: c.phP.data, quantity: 'object-phase' },
    });
  }
  if (phases.size === 0) return null;
  const gtCells = views.map((v) => doses.map((d) => phases.get(`${d}|${v}`)?.gt).find((p) => p) ?? null);
  return { split, views, doses, phases, brokenCells, gtCells };
}

/**
 * The colour range of the phase grids, shown side by side to be compared: the ground truth's 0.5–99.5 percentile over
 * the ground-truth row of every grid together, so that one colour is one phase in all of them.
 */
function sharedPhaseRange(grids: readonly { gtCells: readonly (Panel | null)[] }[]): [number, number] {
  const values = grids.flatMap((g) => g.gtCells.flatMap((p) => (p ? Array.from(p.values) : [])));
  return percentileRange(values, 0.005, 0.995);
}

/** The dose × view grid of phases of one split (ground truth on top), on the colour range `[lo, hi]`. */
function phaseGrid(ctx: ReportContext, s: SplitPhases, [lo, hi]: [number, number], scale: { words: string; rule: string }): { src: string; caption: string; alt: string } {
  const { plan, img } = ctx;
  const { split, views, doses, phases, brokenCells, gtCells } = s;
  const pixelSizeM = plan.pixelSizeM?.[1] ?? null;
  const withRange = (p: Panel | null | undefined): Panel | null => (p ? { ...p, vmin: lo, vmax: hi, pixelSizeM } : null);
  const rows: FigureRow[] = [
    {
      label: 'ground truth', cells: gtCells.map(withRange),
      // a column whose only aligned images are broken: its ground truth is in those files too
      ...(views.some((v, i) => gtCells[i] === null && doses.some((d) => brokenCells.has(`${d}|${v}`)))
        ? { emptyTexts: views.map((v, i) => (gtCells[i] === null && doses.some((d) => brokenCells.has(`${d}|${v}`)) ? 'broken' : undefined)) } : {}),
    },
    ...doses.map((d) => ({
      label: `dose ${doseLabel(d)}`, cells: views.map((v) => withRange(phases.get(`${d}|${v}`)?.rec)),
      ...(views.some((v) => brokenCells.has(`${d}|${v}`)) ? { emptyTexts: views.map((v) => (brokenCells.has(`${d}|${v}`) ? 'broken' : undefined)) } : {}),
    })),
  ];
  const [a, b] = formatTicks([lo, hi].map((x) => Number(x.toPrecision(3))));
  // printed two up on A4 (page 1), the figure is about 350 CSS px wide: its text is drawn GLANCE_TEXT_SCALE times the
  // usual size, the title and subtitle short enough not to widen it, and the clipped shares go under it (the caption)
  const { png, figure: f, zoom } = renderFigure(rows, {
    colourBars: 'figure', colLabels: views, imageSize: 220, emptyText: 'not compared', title: `Object phase, ${split} split`,
    subtitle: `${OWN_MODEL} by dose, ground truth on top; ${a} … ${b} rad`, textScale: GLANCE_TEXT_SCALE, clipNotes: false, scaleBars: 'below',
  });
  const src = img.write(`glance_phase_${split}.png`, png, f.panels, f.smallestText * zoom);
  // the clipped shares, each image's (in the figure's order: rows, then columns), the largest named
  const cells = rows.flatMap((r) => r.cells.map((c, ci) => (c ? `${r.label} ${views[ci]}` : null))).filter((x): x is string => x !== null);
  const shares = f.panels.map((p, i) => ({ at: cells[i]!, p, total: p.clippedBelow + p.clippedAbove }));
  const most = shares.reduce((m, x) => (x.total > m.total ? x : m), shares[0]!);
  const clipped = most.total > 0
    ? `; ${clipNote(most.total, 0, 'of an image\'s pixels at most').replace(/^clipped: /, 'clipped (outside the colour range): ')} (${most.at}: ${clipNote(most.p.clippedBelow, most.p.clippedAbove).replace(/^clipped: /, '')})`
    : '; no pixel outside the colour range';
  // a job whose registration failed is drawn (and scored) unregistered: say which
  const unaligned = (plan.summary?.rows ?? []).filter((r) => r.model === OWN_MODEL && r.split === split && r.status === 'ok' && r.error && phases.has(`${r.dose}|${r.view}`))
    .map((r) => `dose ${doseLabel(r.dose)} ${r.view}`);
  const warn = unaligned.length ? `; not registered (its registration failed, see Skipped and failed jobs): ${unaligned.join(', ')}` : '';
  // the caption is under the figure; its text alone (the alt text before) did not say what the picture is
  const alt = `Object phase, ${split} split: the ground truth (top row) and ${OWN_MODEL} at dose ${doses.map(doseLabel).join(', ')} (one row each), `
    + `view${views.length === 1 ? '' : 's'} ${views.join(', ')} (columns), aligned to the ground truth, on one colour scale ${a} … ${b} rad${warn}`;
  const missing = doses.flatMap((d) => views.filter((v) => !phases.has(`${d}|${v}`) && !brokenCells.has(`${d}|${v}`)).map((v) => `dose ${doseLabel(d)} ${v}`));
  const notCompared = missing.length ? `; not compared (see Skipped and failed jobs): ${missing.join(', ')}` : '';
  return { src, caption: `${split} split: ${scale.words}, ${a} … ${b} rad${clipped}${notCompared}${warn}`, alt };
}

/**
 * Text size of the At a glance phase grids, times the usual: printed two up on A4 (page 1, 354 CSS px each), a grid of
 * three views is about 1400 SVG px wide, so its smallest text (a scale bar's label, 9 px) prints at 9 · 3.6 · 354 / 1397
 * ≈ 8.2 CSS px, 6.15 pt (at 1, a grid 936 SVG px wide printed its text at 2.5–4.5 pt).
 */
export const GLANCE_TEXT_SCALE = 3.6;

/** Headline scores: MS-SSIM (amplitude / phase) of our model, one row per dose, one column per view. */
function headline(ctx: ReportContext, split: string): string {
  const { summary } = ctx.plan;
  if (!summary) return '';
  const rows = summary.rows.filter((r) => r.model === OWN_MODEL && r.split === split);
  if (rows.length === 0) return '';
  const { manifest } = ctx.plan;
  // the doses and views of the study (its jobs of either split, scored or run), so that a dose whose jobs of
  // this split were all skipped or failed keeps its row
  const known = [...rows, ...ctx.plan.jobs, ...(manifest?.execution_results ?? [])];
  const views = viewsOf(known);
  const doses = dosesOf(known);
  let unscored = 0, warned = 0;
  const body: Cell[][] = doses.map((d) => [doseLabel(d), ...views.map((v): Cell => {
    const r = rows.find((x) => x.dose === d && x.view === v);
    const same = (x: { dose: number; view: string; split: string }): boolean => x.dose === d && x.view === v && x.split === split;
    if (!r) {
      // no score: say why (a reconstruction that failed, a job the comparison skipped) rather than leave a dash
      const why = manifest?.execution_results.some((x) => same(x) && x.status === 'failed') ? 'reconstruction failed'
        : summary.skipped_jobs.some(same) ? 'not compared' : null;
      if (why === null) return null;
      unscored++;
      return { html: why, cls: 'bad' };
    }
    if (r.status !== 'ok') {
      unscored++;
      return { html: esc(r.status), cls: 'bad' };
    }
    if (r.error) {
      warned++;
      return { html: `${fmt(r.metrics.ms_ssim?.amplitude, 3)} / ${fmt(r.metrics.ms_ssim?.phase, 3)} *`, cls: 'num bad' };
    }
    return { html: `${fmt(r.metrics.ms_ssim?.amplitude, 3)} / ${fmt(r.metrics.ms_ssim?.phase, 3)}`, cls: 'num' };
  })]);
  const t = table(['dose', ...views], body, { caption: `MS-SSIM of ${OWN_MODEL}, ${split} split (amplitude / phase; 1 is perfect)`, sortable: true, pairs: views.map((_, i) => i + 1) });
  const notes = [
    unscored ? 'A job without a score: its reason is under <a href="#skipped">Skipped and failed jobs</a>.' : '',
    warned ? '* Scored with a warning (a registration that failed: the unregistered image was scored), listed under <a href="#skipped">Skipped and failed jobs</a>.' : '',
  ].filter(Boolean);
  return notes.length ? `${t}\n<p class="small">${notes.join(' ')}</p>` : t;
}

/**
 * What a reader needs to know the study by, from run.json: its preset, epochs and seeds (every setting is under Study
 * design), and when and by which version it ran. Empty strings where run.json is missing or broken (Study design
 * says so) or a value is not recorded.
 */
export function runFacts(run: ReportContext['plan']['run']): { settings: string; run: string } {
  const r = run && 'value' in run && run.value !== null && typeof run.value === 'object' ? run.value as Record<string, unknown> : null;
  const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {});
  const s = obj(r?.study_settings);
  const num = (v: unknown): string | null => (typeof v === 'number' && Number.isFinite(v) ? String(v) : null);
  const seeds = ([['simulation', obj(s.simulation).seed], ['overlap', obj(s.overlap).seed], ['reconstruction', obj(s.reconstruction).seed]] as const)
    .filter(([, v]) => num(v) !== null).map(([k, v]) => `${k} ${num(v)}`);
  const epochs = num(obj(s.reconstruction).epochs);
  const settings = [typeof s.preset === 'string' ? `preset ${s.preset}` : '', epochs !== null ? `${epochs} epochs` : '',
    seeds.length ? `seeds: ${seeds.join(', ')}` : ''].filter(Boolean).join('; ');
  const created = typeof r?.created === 'string' ? r.created : null;
  const version = typeof r?.version === 'string' ? r.version : null;
  const status = typeof r?.status === 'string' ? r.status : null;
  const runText = [created ? `started ${created}` : '', version ? `by ptychostudy ${version}` : '', status ? `status ${status}` : ''].filter(Boolean).join(', ');
  return { settings: settings ? `${settings} (every setting under Study design)` : '', run: runText ? `${runText} (run.json; versions under Software)` : '' };
}

/** At a glance: facts, headline scores, the dose × view phase grids. */
export async function glanceSection(ctx: ReportContext): Promise<Section> {
  const { plan } = ctx;
  const parts: string[] = [];
  const doses = plan.doses;
  const views = viewsOf(plan.jobs);
  const results = plan.manifest?.execution_results ?? [];
  const ok = results.filter((r) => r.status === 'success').length;
  const compared = plan.summary?.rows.filter((r) => r.status === 'ok').length ?? 0;
  const warned = plan.summary?.rows.filter((r) => r.status === 'ok' && r.error).length ?? 0;
  const facts: [string, string][] = [
    // every reconstruction of measured data (each records its detector mask): the dose is only the folder's name
    ['doses', !doses.length ? 'none found' : plan.reconstructions > 0 && plan.detectorMasks.length === plan.reconstructions
      ? `${doses.map(doseLabel).join(', ')} (folder names: measured data has no set dose)` : `${doses.map(doseLabel).join(', ')} photons per pattern`],
    ['views', views.length ? views.join(', ') : 'none found'],
    ['reconstructions', results.length ? `${ok} of ${results.length} succeeded` : `${plan.jobs.length} job directories${plan.manifestError !== null ? ' (the Phase F manifest is broken: see Broken evidence)' : ''}`],
    ['comparisons', plan.summary ? `${compared} of ${plan.summary.rows.length} scored against the ground truth${warned ? `, ${warned} of them with a warning (see Skipped and failed jobs)` : ''}`
      : plan.summaryError !== null ? 'broken: metrics_summary.json could not be read (see Broken evidence)' : 'none'],
    ['pixel size', plan.pixelSizeM ? `${formatLength(plan.pixelSizeM[1])} (x) × ${formatLength(plan.pixelSizeM[0])} (y)`
      : plan.pixelSizesDiffer ? 'differs between the reconstructions, or some do not state it (lengths in pixels)' : 'not stated by the data (lengths in pixels)'],
  ];
  const made = runFacts(plan.run);
  if (made.settings) facts.push(['settings', made.settings]);
  if (made.run) facts.push(['run', made.run]);
  if (plan.detectorMasks.length > 0) {
    const on = plan.detectorMasks.filter((m) => m.applied === true);
    const counts = [...new Set(on.map((m) => `${formatNumber(Number(m.pixels_masked))} of ${formatNumber(Number(m.pattern_pixels))} pixels`))];
    facts.push(['detector mask', [on.length ? `applied in ${on.length} reconstruction${on.length === 1 ? '' : 's'} (${counts.join('; ')} masked)` : '',
      on.length < plan.detectorMasks.length ? `off in ${plan.detectorMasks.length - on.length}` : ''].filter(Boolean).join('; ') + ' (see Data)']);
  }
  parts.push(`<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`);
  const split = plan.summary?.rows.some((r) => r.split === 'test') ? 'test' : 'train';
  parts.push(headline(ctx, split));
  const grids: { src: string; caption: string; alt: string }[] = [];
  const brokenNotes: string[] = [];
  const read: SplitPhases[] = [];
  for (const s of SPLITS) {
    const p = splitPhases(ctx, s, brokenNotes);
    if (p !== null) read.push(p);
  }
  // the grids stand side by side to be compared: one colour scale for all of them
  const range = read.length ? sharedPhaseRange(read) : null;
  const both = read.length > 1;
  const scale = both
    ? { words: `one colour scale for both grids (${read.map((p) => p.split).join(' and ')})`, rule: 'the ground truth\'s 0.5–99.5 percentile over both splits' }
    : { words: 'one colour scale for the whole grid', rule: 'the ground truth\'s 0.5–99.5 percentile' };
  for (const p of read) {
    await yieldToEventLoop(); // each grid takes seconds at fly64 size: let signals (Ctrl-C) through between them
    grids.push(phaseGrid(ctx, p, range!, scale));
  }
  if (grids.length === 0) {
    if (brokenNotes.length === 0) parts.push(ctx.na('phase grid: no Phase G reconstructions_aligned.npz found (run ptychostudy compare)'));
  } else {
    parts.push(`<p class="small">Object phase of every reconstruction by ${esc(OWN_MODEL)} after registration to the ground truth (offset, global phase and phase ramp removed; moved onto the ground truth's branch), each over its job's compared region, with the ground truth on top. ${both ? 'One colour scale for both grids, so that a colour is the same phase in each (stated under each figure): the ground truth\'s 0.5–99.5 percentile over the ground-truth rows of the two splits together' : 'One colour scale for the whole grid (stated under the figure): the ground truth\'s 0.5–99.5 percentile'}; values outside are clipped, and the largest share of clipped pixels of an image is written under each figure.<span class="screen"> Click a figure for its full size.</span></p>`);
    parts.push(grid(grids.map((g) => ctx.img.figure(g.src, `${g.caption}.`, `${g.alt}.`)), 'pair'));
  }
  parts.push(...brokenNotes);
  return { id: 'glance', title: 'At a glance', body: parts.join('\n') };
}

/** Amplitude (each probe over its own maximum) and phase of the reconstructed probe, dose × view, of one split. */
function probeGrids(ctx: ReportContext, split: string, notes: string[]): string[] {
  const { plan, img } = ctx;
  const jobs = plan.jobs.filter((j) => j.split === split);
  const views = viewsOf(jobs);
  const doses = dosesOf(jobs);
  const probes = new Map<string, { amp: Float64Array; phase: Float64Array; w: number; h: number; modes: number }>();
  const brokenCells = new Set<string>();
  for (const j of jobs) {
    const file = join(jobDir(plan.roots.f, j), PHASE_F.reconstruction);
    if (!present(file)) continue;
    const p = tryOr(() => partValue(reconstructionParts(plan, file, true).probe!) ?? 'none', (m) => { notes.push(ctx.bad(`probe of ${doseDirName(j.dose)}/${j.view}/${j.split}`, file, m)); brokenCells.add(`${j.dose}|${j.view}`); });
    if (p === 'none') ctx.missing.push(`probe of ${doseDirName(j.dose)}/${j.view}/${j.split}: ${file}: no 'reconstructed_probe'`);
    if (p === null || p === 'none') continue;
    const amp = amplitudeOf(p.probe).data;
    let max = 0;
    for (let i = 0; i < amp.length; i++) if (amp[i]! > max) max = amp[i]!;
    if (max > 0) for (let i = 0; i < amp.length; i++) amp[i]! /= max;
    probes.set(`${j.dose}|${j.view}`, { amp, phase: phaseOf(p.probe).data, w: p.probe.w, h: p.probe.h, modes: p.modes });
  }
  if (probes.size === 0) return [];
  const pixelSizeM = plan.pixelSizeM?.[1] ?? null;
  const modes = Math.max(...[...probes.values()].map((p) => p.modes));
  const mode = modes > 1 ? ` (mode 0 of ${modes})` : '';
  const build = (which: 'amp' | 'phase'): FigureRow[] => doses.map((d) => ({
    label: `dose ${doseLabel(d)}`,
    ...(views.some((v) => brokenCells.has(`${d}|${v}`)) ? { emptyTexts: views.map((v) => (brokenCells.has(`${d}|${v}`) ? 'broken' : undefined)) } : {}),
    cells: views.map((v): Panel | null => {
      const p = probes.get(`${d}|${v}`);
      if (!p) return null;
      return which === 'amp'
        ? { width: p.w, height: p.h, values: p.amp, quantity: 'probe-amplitude', vmin: 0, vmax: 1, label: '|P| / max', pixelSizeM }
        : { width: p.w, height: p.h, values: p.phase, quantity: 'probe-phase', vmin: -Math.PI, vmax: Math.PI, pixelSizeM, amplitude: p.amp };
    }),
  }));
  const amp = renderFigure(build('amp'), { colourBars: 'figure', colLabels: views, imageSize: 160, title: `Reconstructed probe amplitude${mode}, ${split} split`, subtitle: 'each probe divided by its own maximum; one scale 0 … 1' });
  const ph = renderFigure(build('phase'), { colourBars: 'figure', colLabels: views, imageSize: 160, title: `Reconstructed probe phase${mode}, ${split} split`, subtitle: 'one cyclic scale −π … π' });
  return [
    img.figure(img.write(`probe_amplitude_${split}.png`, amp.png, amp.figure.panels, amp.figure.smallestText * amp.zoom), `Amplitude of the reconstructed probe${mode} of every ${split}-split job (reconstructed_probe of reconstruction.npz), each divided by its own maximum, on one scale 0 … 1.`),
    img.figure(img.write(`probe_phase_${split}.png`, ph.png, ph.figure.panels, ph.figure.smallestText * ph.zoom), `Phase of the same probes, on one cyclic scale −π … π (a probe's global phase is arbitrary), each ${FADE_RULE}.`),
  ];
}

/** Reconstructions: the reconstructed probes, and each job's comparison figure (or its reconstruction when not compared). */
export function reconstructionsSection(ctx: ReportContext): Section {
  const { plan, na } = ctx;
  const { roots, summary } = plan;
  const parts: string[] = [];
  const split = plan.probeSplit;
  const brokenNotes: string[] = [];
  const probes = probeGrids(ctx, split, brokenNotes);
  parts.push('<h3>Reconstructed probe</h3>');
  if (probes.length) parts.push(grid(probes, 'pair'));
  else if (brokenNotes.length === 0) parts.push(na('reconstructed probes: no Phase F reconstruction.npz found'));
  parts.push(...brokenNotes);
  // each job's figure: its comparison, else its reconstruction alone (not compared, or its comparison failed)
  const byDose: { dose: number; tiles: string[] }[] = [];
  const recordNotes: string[] = []; // broken figure records of comparisons and reconstructions (their figures are shown all the same)
  let compared = 0, alone = 0;
  for (const dose of dosesOf(plan.jobs)) {
    const tiles: string[] = [];
    for (const j of plan.jobs.filter((x) => x.dose === dose)) {
      const cmp = join(jobDir(roots.g, j), PHASE_G.figure);
      const recPng = join(jobDir(roots.f, j), PHASE_F.figure);
      const tag = `${doseDirName(j.dose)}_${j.view}_${j.split}`;
      const rows = summary?.rows.filter((r) => r.model === OWN_MODEL && r.dose === j.dose && r.view === j.view && r.split === j.split) ?? [];
      const row = rows.find((r) => r.status === 'ok');
      const score = row ? ` · MS-SSIM ${fmt(row.metrics.ms_ssim?.amplitude, 3)} / ${fmt(row.metrics.ms_ssim?.phase, 3)}` : '';
      if (present(cmp)) {
        // a registration that failed: the figure shows (and the scores are of) the unregistered image
        const warning = row?.error ? ` — warning: ${row.error}` : '';
        // what was scored: the scanned region of the ground truth, and the window compared after the border cut
        const g = row?.region, n = row?.compared_shape;
        const scored = g && n ? `; scored: rows ${g.y0}–${g.y1 - 1}, columns ${g.x0}–${g.x1 - 1} of the ground truth (the scanned region), ${n[0]}×${n[1]} px compared after cutting ${fmt(row.values.border_px, 0)} px from every edge` : ''; // not "a 8-px border"
        const src = copyOrBroken(ctx, `comparison figure of dose ${doseLabel(j.dose)}, ${j.view}, ${j.split}`, `comparison_${tag}.png`, cmp);
        if (typeof src !== 'string') { tiles.push(src.note); continue; }
        ctx.img.setReadable(src, comparisonReadableWidth(ctx, j, recordNotes));
        tiles.push(ctx.img.figure(src, `${j.view}, ${j.split}${score}${scored}${warning}`,
          `dose ${doseLabel(j.dose)}, ${j.view}, ${j.split}: ground truth, ${OWN_MODEL} and error, amplitude and phase${score}${warning}`));
        compared++;
      } else if (present(recPng)) {
        const why = rows.some((r) => r.status !== 'ok')
          ? { html: `${esc(j.view)}, ${esc(j.split)}: reconstruction only — its comparison failed (reason under <a href="#skipped">Skipped and failed jobs</a>)` }
          : `${j.view}, ${j.split}: reconstruction only (not compared)`;
        const src = copyOrBroken(ctx, `reconstruction figure of dose ${doseLabel(j.dose)}, ${j.view}, ${j.split}`, `reconstruction_${tag}.png`, recPng);
        if (typeof src !== 'string') { tiles.push(src.note); continue; }
        ctx.img.setReadable(src, reconstructionReadableWidth(ctx, j, recordNotes));
        tiles.push(ctx.img.figure(src, why, `${j.view}, ${j.split}: reconstruction only`));
        alone++;
      }
    }
    if (tiles.length) byDose.push({ dose, tiles });
  }
  const ALONE = `Phase F's reconstruction.png: the object's amplitude and phase, each on its own 1st–99th percentile range (the share of clipped pixels under each image), and the probe's amplitude and phase (−π … π, ${FADE_RULE}); nothing is compared with a ground truth there`;
  if (compared > 0) {
    parts.push('<h3>Each job: ground truth, reconstruction and error</h3>');
    parts.push(`<p class="small">Each figure<span class="screen"> (click for full size)</span> shows the amplitude row, then the phase row: the ground truth, ${OWN_MODEL} aligned to it, and the error (reconstruction − ground truth); captions give MS-SSIM as amplitude / phase. Amplitude and phase use the ground truth's 0.5–99.5 percentile range: the reconstruction is clipped to it, and the share of clipped pixels is written under each image. Each error map has its own symmetric colour scale, ±99th percentile of its own |error| (its colour bar gives the values): error maps of different jobs are not on one scale, so compare them by their colour bars or by the Metrics table.${alone > 0 ? ` A job without a comparison shows ${esc(ALONE)}.` : ''}</p>`);
  } else if (alone > 0) {
    parts.push('<h3>Each job: reconstructed object and probe</h3>');
    parts.push(`<p class="small">No job was compared with a ground truth (measured data has none, or <code>ptychostudy compare</code> has not run). Each figure<span class="screen"> (click for full size)</span> is ${esc(ALONE)}.</p>`);
  }
  let shown = 0;
  // many doses make a long gallery: a line of links to each dose's heading
  if (byDose.length > 1) {
    parts.push(`<p class="small">Go to dose: ${byDose.map(({ dose }) => `<a href="#rec-${esc(doseDirName(dose))}">${esc(doseLabel(dose))}</a>`).join(' · ')}</p>`);
  }
  for (const { dose, tiles } of byDose) {
    parts.push(`<h3 id="rec-${esc(doseDirName(dose))}">dose ${esc(doseLabel(dose))}</h3>`);
    parts.push(grid(tiles, 'gallery'));
    shown += tiles.length;
  }
  if (shown === 0) parts.push(na('reconstruction images: no Phase G comparison.png or Phase F reconstruction.png found'));
  parts.push(...recordNotes);
  return { id: 'reconstructions', title: 'Reconstructions', body: parts.join('\n') };
}
