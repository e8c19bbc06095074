/**
 * The report's Data section: the ground-truth object and probe, a few diffraction patterns per dose on a
 * log scale, the scan positions of every view and split (drawn once when every dose has the same ones)
 * and each view's measured overlap and position count (Phase D's metrics bundles); for reconstructions of
 * measured data, the detector mask each one applied (or that it was switched off).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ComplexImage } from '../../math/image.js';
import { amplitudeOf, phaseOf } from '../../metrics/index.js';
import { NpzReader } from '../../npy/npz.js';
import { FADE_RULE, renderFigure, type FigureRow, type Panel } from '../../report/figure.js';
import { esc, grid, table, type Cell, type Section } from '../../report/html.js';
import { positionMapsSvg, renderPositionMaps, type PositionMapOptions, type PositionPanel } from '../../report/positions.js';
import { formatLength } from '../../report/scalebar.js';
import { formatNumber } from '../../report/ticks.js';
import { sniffFile } from '../../data/hdf5/signature.js';
import type { ReconstructionMask } from '../hub/reconstruction-arrays.js';
import { reconstructionParts } from './plan.js';
import { partValue } from './reconstruction-reads.js';
import { float64Of, readDiffractionSample, readGroundTruth, type DiffractionSample } from '../hub/datasets.js';
import { datasetCandidates, doseDirName, jobDir, OVERLAP_VIEWS, PHASE_C, PHASE_F, phaseCSplitFile, phaseDViewFiles, SPLITS, VIEWS } from '../hub/layout.js';
import { readOverlapBundle, type OverlapStats, type ViewOverlap } from '../hub/overlap-files.js';
import { doseLabel, energyFact, pct, present, tryOr, type ReportContext } from './sections.js';
import { evenIndices } from '../../data/hdf5/beam.js';
import { readInputPatterns } from './input-patterns.js';
import { yieldToEventLoop } from '../phase.js';


/**
 * Text sizes of the Data section's figures, times the usual. Each is shown one to a row: at most 1000 CSS px wide on a
 * screen, 718 on A4. The ground-truth object and probe (four images in a row, about 1300 SVG px wide) printed its
 * smallest text, a scale bar's label, at 3.7 pt and showed it at 6.9 CSS px on a 1400-px screen; at 2.2 it prints at
 * 6.4 pt. The diffraction patterns (about 840 SVG px) printed theirs at 5.7 pt; at 1.25 at 6.8 pt.
 */
export const OBJECT_PROBE_TEXT_SCALE = 2.2;
export const DIFFRACTION_TEXT_SCALE = 1.25;
/** Patterns shown per dose. */
const PATTERNS_PER_DOSE = 3;

function pixelNote(ctx: ReportContext): string {
  const p = ctx.plan.pixelSizeM;
  if (p) return `one object pixel is ${formatLength(p[1])} (x) × ${formatLength(p[0])} (y)`;
  return ctx.plan.pixelSizesDiffer ? 'the reconstructions state different object pixel sizes (or some none), so lengths are in pixels'
    : 'the object pixel size is not stated by the data, so lengths are in pixels';
}

/** Measured data in an HDF5 file (CXI, PtyPy .ptyd) where a dataset NPZ is expected: reconstruct reads it (by content); the report draws its patterns as its reconstruction read them. */
const isHdf5 = (file: string): boolean => tryOr(() => sniffFile(file) === 'hdf5', () => undefined) === true;

function objectAndProbe(ctx: ReportContext, parts: string[]): void {
  const { plan, img, na } = ctx;
  const inputs = plan.doses.flatMap((d) => SPLITS.map((s) => phaseCSplitFile(plan.roots.c, d, s))).filter((p) => present(p));
  const hdf5 = inputs.filter(isHdf5);
  if (hdf5.length > 0) {
    parts.push(na(`ground truth and scan positions of ${hdf5.map((f) => relative(plan.hub, f)).join(', ')}: measured data in an HDF5 file (CXI or PtyPy .ptyd), `
      + 'which has no ground truth; the report draws its patterns (those of the train split, below) but not its positions; `ptychostudy inspect --check FILE` lists what the file holds'));
  }
  const firstInput = plan.doses.map((d) => phaseCSplitFile(plan.roots.c, d, 'train')).find((p) => present(p) && !hdf5.includes(p));
  if (!firstInput) { if (hdf5.length === 0) parts.push(na(`data: no Phase C dataset (${join(plan.roots.c, 'dose_<D>', PHASE_C.split('train'))})`)); return; }
  const gt = tryOr(() => readGroundTruth(firstInput), (m) => parts.push(ctx.bad('object and probe', firstInput, m)));
  if (!gt) return;
  const split = (c: ComplexImage): [Float64Array, Float64Array] => [amplitudeOf(c).data, phaseOf(c).data];
  const [oa, op] = split(gt.object);
  const pixelSizeM = plan.pixelSizeM?.[1] ?? null;
  const panels: Panel[] = [
    { title: 'object amplitude', width: gt.object.w, height: gt.object.h, values: oa, quantity: 'object-amplitude', pixelSizeM },
    { title: 'object phase', width: gt.object.w, height: gt.object.h, values: op, quantity: 'object-phase', pixelSizeM },
  ];
  if (gt.probe) {
    const [pa, pp] = split(gt.probe);
    panels.push({ title: 'probe amplitude', width: gt.probe.w, height: gt.probe.h, values: pa, quantity: 'probe-amplitude', pixelSizeM });
    panels.push({ title: 'probe phase', width: gt.probe.w, height: gt.probe.h, values: pp, quantity: 'probe-phase', vmin: -Math.PI, vmax: Math.PI, pixelSizeM, amplitude: pa });
  }
  const { png, figure: f, zoom } = renderFigure([{ cells: panels }], { imageSize: 220, title: 'Ground-truth object and probe', subtitle: 'full colour range of each image; probe phase −π…π', textScale: OBJECT_PROBE_TEXT_SCALE });
  const src = img.write('data_object_probe.png', png, f.panels, f.smallestText * zoom);
  parts.push(img.figure(src, `objectGuess (${gt.object.h}×${gt.object.w} px) and probeGuess (${gt.N}×${gt.N} px) from ${relative(plan.hub, firstInput)}; the probe's phase is drawn ${FADE_RULE}; ${pixelNote(ctx)}.`));
}

/** The same scan positions at every index read? (then the patterns of one column are one scan point at every dose) */
function samePositions(files: string[], indices: number[]): boolean {
  let ref: string | null = null;
  for (const f of files) {
    const key = tryOr(() => {
      const r = NpzReader.open(f);
      try {
        const xs = float64Of(r.get('xcoords'), f), ys = float64Of(r.get('ycoords'), f);
        return indices.map((i) => `${xs[i]},${ys[i]}`).join(';');
      } finally { r.close(); }
    }, () => undefined);
    if (key === null) return false;
    if (ref === null) ref = key; else if (ref !== key) return false;
  }
  return true;
}

/** A few patterns of one dose's train split: a dataset NPZ's, or those of the measured file its reconstruction read. */
interface DoseSample { dose: number; s: DiffractionSample; measured: boolean; masked?: Uint8Array | null }

/**
 * Patterns of a CXI or .ptyd file in Phase C's place: drawn as the reconstruction of that file read them, when
 * the file's size and SHA-256 are still those the reconstruction recorded (input-patterns.ts); else why not.
 */
async function measuredSample(ctx: ReportContext, dose: number, file: string): Promise<{ s: DiffractionSample; masked: Uint8Array | null } | string> {
  const { plan } = ctx;
  const npz = join(jobDir(plan.roots.f, { dose, view: 'baseline', split: 'train' }), PHASE_F.reconstruction);
  const name = relative(plan.hub, file);
  if (!existsSync(npz)) {
    return `${name}: measured data in an HDF5 file (CXI or PtyPy .ptyd), drawn only as its reconstruction read it (which records the file's size, SHA-256 and key of its patterns), and ${relative(plan.hub, npz)} is not there`;
  }
  let why = '';
  const meta = tryOr(() => partValue(reconstructionParts(plan, npz).metadata), (m) => { why = m; });
  if (meta === null) return `${name}: not drawn — ${why}`;
  const p = await readInputPatterns(meta, file, PATTERNS_PER_DOSE);
  if ('why' in p) return `${name}: not drawn — ${p.why}`;
  // the pixels the reconstruction masked (gaps, saturated pixels: their values are no counts), left out of the colour scale
  const m = tryOr(() => partValue(reconstructionParts(plan, npz).mask), () => undefined)?.mask ?? null;
  const masked = m !== null && m.h === p.h && m.w === p.w ? m.data : null;
  return { s: { path: file, h: p.h, w: p.w, n: p.total, indices: p.rows.map((r) => r.index), counts: p.rows.map((r) => r.values), intensityScale: 1 }, masked };
}

async function diffraction(ctx: ReportContext, parts: string[]): Promise<void> {
  const { plan, img, na } = ctx;
  const files = plan.doses.map((d) => ({ dose: d, file: phaseCSplitFile(plan.roots.c, d, 'train') })).filter((x) => present(x.file));
  if (files.length === 0) return; // the object/probe note already says there is no Phase C data
  const samples: DoseSample[] = [];
  for (const { dose, file } of files) {
    if (isHdf5(file)) {
      const s = await measuredSample(ctx, dose, file);
      if (typeof s === 'string') parts.push(na(`diffraction at dose ${doseLabel(dose)}: ${s}`)); else samples.push({ dose, s: s.s, measured: true, masked: s.masked });
      continue;
    }
    const n = tryOr(() => { const r = NpzReader.open(file); try { return r.header('diffraction').shape[0] ?? 0; } finally { r.close(); } }, (m) => parts.push(ctx.bad(`diffraction at dose ${doseLabel(dose)}`, file, m)));
    if (!n) continue;
    const idx = evenIndices(n, PATTERNS_PER_DOSE);
    try {
      samples.push({ dose, s: await readDiffractionSample(file, idx), measured: false });
    } catch (err) {
      parts.push(ctx.bad(`diffraction at dose ${doseLabel(dose)}`, file, err));
    }
  }
  if (samples.length === 0) return;
  // the scale ends at the brightest pixel fitted: a masked pixel's value (a detector gap's integer maximum, ~10¹⁰ summed
  // over a bin) would take it and leave the patterns dark; such pixels are drawn in its top colour
  let vmax = 1, maskedAbove = 0;
  for (const { s, masked } of samples) for (const c of s.counts) for (let i = 0; i < c.length; i++) if (!masked?.[i] && c[i]! > vmax) vmax = c[i]!;
  for (const { s, masked } of samples) {
    if (masked) for (let i = 0; i < masked.length; i++) if (masked[i] && s.counts.some((c) => c[i]! > vmax)) maskedAbove++;
  }
  const cols = Math.max(...samples.map((x) => x.s.counts.length));
  // one column per pattern index when every dose has the same ones (files of one scan); else each panel says its own
  const indices = samples[0]!.s.indices;
  const sameIndices = samples.every((x) => x.s.indices.join() === indices.join());
  // simulated counts are whole photons; measured values are what the file stores, which may lie between 0 and 1
  const anyMeasured = samples.some((x) => x.measured);
  const rows: FigureRow[] = samples.map(({ dose, s, measured }) => ({
    label: `dose ${doseLabel(dose)}`,
    cells: Array.from({ length: cols }, (_, k): Panel | null => (s.counts[k]
      ? { width: s.w, height: s.h, values: s.counts[k]!, quantity: 'diffraction', scale: 'log', vmin: 1, vmax, pixelUnit: 'px', belowLabel: measured ? 'below 1' : 'with 0 photons',
        ...(anyMeasured ? { label: 'value as stored' } : {}),
        ...(sameIndices ? {} : { title: `pattern ${s.indices[k]}` }) }
      : null)),
  }));
  const npz = samples.filter((x) => !x.measured);
  const same = npz.length === samples.length && samePositions(samples.map((x) => x.s.path), indices);
  const { png, figure: f, zoom } = renderFigure(rows, {
    colourBars: 'figure', imageSize: 200, textScale: DIFFRACTION_TEXT_SCALE, ...(sameIndices ? { colLabels: indices.map((i) => `pattern ${i}`) } : {}),
    title: anyMeasured ? 'Diffraction patterns (log scale)' : 'Diffraction patterns (photon counts, log scale)',
    subtitle: anyMeasured
      ? `one colour scale for all: 1 … the brightest ${samples.some((x) => x.masked) ? 'fitted ' : ''}pixel; values below 1 take the lowest colour`
      : 'one colour scale for all: 1 photon … the brightest pixel; pixels with 0 photons take the lowest colour',
  });
  const src = img.write('data_diffraction.png', png, f.panels, f.smallestText * zoom);
  const which = sameIndices ? `Patterns ${indices.join(', ')}` : 'Three patterns (first, middle, last)';
  const values = [
    npz.length ? `${npz.length === samples.length ? '' : 'of a dataset NPZ, '}counts = (diffraction · intensity_scale)²` : '',
    npz.length < samples.length
      ? `of measured data (CXI, PtyPy .ptyd: ${samples.filter((x) => x.measured).map((x) => `dose ${doseLabel(x.dose)}, ${x.s.n} patterns in ${relative(plan.hub, x.s.path)}`).join('; ')}), `
        + 'the values as stored in the file, whose size and SHA-256 match those its reconstruction recorded'
      : '',
  ].filter(Boolean).join('; ');
  parts.push(img.figure(src, `${which} of the train split of each dose (${samples[0]!.s.h}×${samples[0]!.s.w} detector pixels, DC at the centre)`
    + `${same ? ', the same scan positions at every dose' : ''}: ${values}, one shared log colour scale from 1${anyMeasured ? '' : ' photon'} to ${formatNumber(Math.round(vmax))}${maskedAbove > 0 ? ` (the brightest pixel the reconstructions fitted: ${formatNumber(maskedAbove)} masked pixel${maskedAbove === 1 ? ' holds' : 's hold'} more, drawn in the scale's top colour — a detector gap's or saturated pixel's value, not counts)` : ''}; the scale bar is in detector pixels.`));
}

/** What a `_metadata.detector_mask` source says: "cxi mask entry_1/…/mask: 8". */
export function maskSources(record: Record<string, unknown>): string {
  const sources = Array.isArray(record.sources) ? record.sources as Record<string, unknown>[] : [];
  // a mask per pattern (CXI) or per frame (PtyPy weights) masks in all the pixels it masks in some
  const some = (s: Record<string, unknown>): string => {
    const k = Number(s.pixels_masked_in_some_patterns_only ?? s.pixels_masked_in_some_frames_only);
    return k > 0 ? ` (${formatNumber(k)} of them in some ${s.pixels_masked_in_some_patterns_only !== undefined ? 'patterns' : 'frames'} only)` : '';
  };
  const other = (s: Record<string, unknown>): string => (Number(s.pixels_with_other_bits_only_fitted) > 0
    ? `, and ${formatNumber(Number(s.pixels_with_other_bits_only_fitted))} with other bits only fitted` : '');
  return sources.map((s) => `${String(s.source)} ${String(s.key)}: ${formatNumber(Number(s.pixels))}${some(s)}${other(s)}`).join('; ');
}

/**
 * The detector mask of every reconstruction of measured data (`_metadata.detector_mask` and the `detector_mask`
 * member of reconstruction.npz): a table of what was masked and from which source, or that the mask was off,
 * and the mask itself. Nothing for a hub of simulated data (its reconstructions record no mask).
 */
function detectorMasks(ctx: ReportContext, parts: string[]): void {
  const { plan, img } = ctx;
  const found: { job: string; m: ReconstructionMask }[] = [];
  for (const j of plan.jobs) {
    const npz = join(jobDir(plan.roots.f, j), PHASE_F.reconstruction);
    if (!present(npz)) continue;
    const m = tryOr(() => partValue(reconstructionParts(plan, npz).mask), (e) => parts.push(ctx.bad('detector mask', npz, e)));
    if (m) found.push({ job: `${doseLabel(j.dose)} ${j.view} ${j.split}`, m });
  }
  if (found.length === 0) return;
  parts.push('<h3>Detector mask</h3>');
  const rows: Cell[][] = found.map(({ job, m }) => {
    const r = m.record;
    if (r.applied !== true) {
      // what the file held that the mask would have used (`fitted_as_read`)
      const held = (Array.isArray(r.fitted_as_read) ? r.fitted_as_read as Record<string, unknown>[] : [])
        .map((s) => (s.source === 'integer maximum' ? `${formatNumber(Number(s.values))} values at the integer maximum in ${String(s.key)}` : `${String(s.source)} ${String(s.key)}`));
      const why = typeof r.reason === 'string' ? r.reason : 'switched off: every pixel fitted as read';
      return [job, 'off', null, { html: esc(held.length ? `${why}; fitted as read: ${held.join('; ')}` : why), cls: 'wrap' }];
    }
    const masked = Number(r.pixels_masked), total = Number(r.pattern_pixels);
    return [job, 'applied', { html: esc(`${formatNumber(masked)} of ${formatNumber(total)} (${pct(masked / total, 2)})`), cls: 'num' }, { html: esc(maskSources(r) || 'none'), cls: 'wrap' }];
  });
  parts.push(table(['job', 'mask', 'pixels masked', 'sources (pixels)'], rows, {
    caption: 'What each reconstruction of measured data left unfitted (_metadata.detector_mask of reconstruction.npz; a pixel may be masked by several sources; docs/real-data.md, "Detector mask")',
  }));
  // one panel per distinct mask (the jobs of one file share theirs)
  const masks = new Map<string, { jobs: string[]; mask: NonNullable<ReconstructionMask['mask']>; record: Record<string, unknown> }>();
  for (const { job, m } of found) {
    if (!m.mask || m.record.applied !== true) continue;
    const key = `${m.mask.h}×${m.mask.w}:${Buffer.from(m.mask.data).toString('base64')}`;
    const entry = masks.get(key);
    if (entry) entry.jobs.push(job); else masks.set(key, { jobs: [job], mask: m.mask, record: m.record });
  }
  if (masks.size === 0) return;
  const groups = [...masks.values()];
  const cells: Panel[] = groups.map((g) => ({
    title: groups.length === 1 ? `${formatNumber(g.mask.data.reduce((a, v) => a + (v ? 1 : 0), 0))} pixels masked` : g.jobs.join(', '),
    width: g.mask.w, height: g.mask.h, values: Float64Array.from(g.mask.data, (v) => (v ? 1 : 0)),
    quantity: 'detector-mask', vmin: 0, vmax: 1, pixelUnit: 'px',
  }));
  const { png, figure: f, zoom } = renderFigure([{ cells }], { imageSize: 200, title: 'Detector mask', subtitle: 'black: masked (left unfitted, set to 0 in the data); white: fitted' });
  const src = img.write('data_detector_mask.png', png, f.panels, f.smallestText * zoom);
  const g0 = groups[0]!;
  const about = groups.length === 1
    ? `of ${g0.jobs.length === found.length ? (found.length === 1 ? 'the reconstruction' : 'every reconstruction') : g0.jobs.join(', ')} (${g0.mask.h}×${g0.mask.w} detector pixels, DC at the centre; ${maskSources(g0.record)})`
    : `of each reconstruction whose mask differs (${g0.mask.h}×${g0.mask.w} detector pixels, DC at the centre)`;
  // a small tile (the gallery's), not a page-wide picture of a few thousand pixels
  parts.push(grid([img.figure(src, `Detector mask ${about}: black pixels were masked — no far-field constraint, their values set to 0 — white pixels were fitted; from detector_mask of reconstruction.npz; the scale bar is in detector pixels.`)], 'gallery'));
}

/**
 * The energy of every reconstruction of measured data (`_metadata.geometry`: what it is the energy of, the
 * wavelength, its formula and where that came from: the file, reconstruction.radiation, the format or the default).
 * Nothing for a hub of simulated data (its datasets state no energy).
 */
function energies(ctx: ReportContext, parts: string[]): void {
  const { plan } = ctx;
  const rows: Cell[][] = [];
  for (const j of plan.jobs) {
    const npz = join(jobDir(plan.roots.f, j), PHASE_F.reconstruction);
    if (!present(npz)) continue;
    const g = tryOr(() => partValue(reconstructionParts(plan, npz).geometry), (e) => parts.push(ctx.bad('energy', npz, e)));
    const fact = g !== null && typeof g === 'object' && !Array.isArray(g) ? energyFact(g as Record<string, unknown>) : null;
    if (fact !== null) rows.push([`${doseLabel(j.dose)} ${j.view} ${j.split}`, { html: esc(fact), cls: 'wrap' }]);
  }
  if (rows.length === 0) return;
  parts.push('<h3>Energy and wavelength</h3>');
  parts.push(table(['job', 'energy, wavelength and its formula'], rows, {
    caption: 'What each reconstruction of measured data took the file\'s energy to be (_metadata.geometry of reconstruction.npz; docs/real-data.md, "Radiation: photons or electrons")',
  }));
}

interface ViewPositions { xs: Float64Array; ys: Float64Array; frame: { w: number; h: number } | null }

function readPositions(file: string): ViewPositions {
  const r = NpzReader.open(file);
  try {
    const xs = float64Of(r.get('xcoords'), `${file} xcoords`);
    const ys = float64Of(r.get('ycoords'), `${file} ycoords`);
    const og = r.has('objectGuess') ? r.header('objectGuess').shape : null;
    return { xs, ys, frame: og && og.length >= 2 ? { h: og[og.length - 2]!, w: og[og.length - 1]! } : null };
  } finally { r.close(); }
}

/** The width (CSS px) the page draws a wide figure at: the largest `figure img` (report/html.ts). */
const WIDE_DISPLAY_WIDTH = 1000;

/**
 * The width (CSS px) to draw a positions figure at: that of every view and split (the full grid, drawn at the
 * column's width) scaled to its own size, so one with fewer panels (a hub of measured data: one view, one split)
 * keeps its text the size of the full grid's instead of being zoomed to the column's width. Undefined (the
 * column's width) for a figure as wide as the full grid.
 */
function positionsDisplayWidth(cells: readonly (PositionPanel | null)[][], opts: PositionMapOptions): number | undefined {
  const own = positionMapsSvg(cells, opts).width;
  const fullCells = SPLITS.map(() => VIEWS.map(() => null));
  const full = positionMapsSvg(fullCells, { ...opts, colLabels: [...VIEWS], rowLabels: [...SPLITS] }).width;
  return own < full ? own * WIDE_DISPLAY_WIDTH / full : undefined;
}

function positionsAndOverlap(ctx: ReportContext, parts: string[]): void {
  const { plan, img } = ctx;
  const { roots, doses } = plan;
  // Positions of every dose; one figure when every dose holds the same ones.
  const perDose: { dose: number; cells: (PositionPanel | null)[][]; key: string }[] = [];
  const counts = new Map<string, number>();
  const unreadable: string[] = [];
  const brokenCells = new Set<string>();
  for (const dose of doses) {
    const cells: (PositionPanel | null)[][] = [];
    let key = '';
    for (const split of SPLITS) {
      const row: (PositionPanel | null)[] = [];
      for (const view of VIEWS) {
        const file = datasetCandidates(roots.c, roots.d, dose, view, split).find((p) => present(p) && !isHdf5(p));
        const pos = file ? tryOr(() => readPositions(file), (m) => { unreadable.push(ctx.bad(`positions of dose ${doseLabel(dose)}, ${view}, ${split}`, file, m)); brokenCells.add(`${dose}|${split}|${view}`); }) : null;
        if (!pos) { row.push(null); key += '|-'; continue; }
        counts.set(`${dose}|${view}|${split}`, pos.xs.length);
        key += `|${pos.xs.join(',')};${pos.ys.join(',')}`;
        const w = pos.frame?.w ?? Math.max(...pos.xs) + 1, h = pos.frame?.h ?? Math.max(...pos.ys) + 1;
        row.push({ title: `n = ${pos.xs.length}`, xs: pos.xs, ys: pos.ys, width: w, height: h });
      }
      cells.push(row);
    }
    if (cells.some((r) => r.some((c) => c))) perDose.push({ dose, cells, key });
  }
  parts.push(...unreadable);
  const bundles = new Map<string, Partial<Record<'train' | 'test', ViewOverlap>>>();
  for (const dose of doses) {
    for (const view of OVERLAP_VIEWS) {
      const f = phaseDViewFiles(roots.d, dose, view).bundle;
      if (!present(f)) continue;
      const b = tryOr(() => readOverlapBundle(f), (m) => parts.push(ctx.bad('overlap metrics', f, m)));
      if (b) bundles.set(`${dose}|${view}`, b);
    }
  }
  const diameter = [...bundles.values()].flatMap((b) => [b.train?.probeDiameter, b.test?.probeDiameter]).find((d): d is number => typeof d === 'number');
  const allSame = perDose.length > 1 && perDose.every((p) => p.key === perDose[0]!.key);
  const groups = allSame ? [{ label: 'every dose', ...perDose[0]! }] : perDose.map((p) => ({ label: `dose ${doseLabel(p.dose)}`, ...p }));
  // Views (columns) and splits (rows) without positions at any dose are left out (a hub of measured data has one
  // view and one split: one panel, not five boxes saying "not available").
  const cols = VIEWS.flatMap((_v, j) => (perDose.some((p) => p.cells.some((r) => r[j])) ? [j] : []));
  const rows = SPLITS.flatMap((_s, i) => (perDose.some((p) => p.cells[i]!.some((c) => c)) ? [i] : []));
  for (const g of groups) {
    const cells = rows.map((i) => cols.map((j) => g.cells[i]![j] ?? null));
    // a cell whose dataset is there but broken says so (at every dose, when one figure stands for all)
    const isBroken = (i: number, j: number): boolean => (allSame ? doses : [g.dose]).some((d) => brokenCells.has(`${d}|${SPLITS[i]!}|${VIEWS[j]!}`));
    const emptyTexts = rows.map((i) => cols.map((j) => (isBroken(i, j) ? 'broken' : undefined)));
    const opts: PositionMapOptions = {
      ...(emptyTexts.some((r) => r.some((t) => t !== undefined)) ? { emptyTexts } : {}),
      title: `Scan positions, ${g.label}`, colLabels: cols.map((j) => VIEWS[j]!), rowLabels: rows.map((i) => SPLITS[i]!), pixelSizeM: plan.pixelSizeM?.[1] ?? null,
      ...(diameter ? { discDiameterPx: diameter, subtitle: `dots: scan centres; discs: the ${formatNumber(diameter)}-px probe diameter the overlap is measured with` } : {}),
    };
    const { png, smallestTextPx } = renderPositionMaps(cells, opts);
    const name = allSame ? 'positions.png' : `positions_${doseDirName(g.dose)}.png`;
    parts.push(img.figure(img.write(name, png, undefined, smallestTextPx), `Scan centres of ${cols.length === VIEWS.length && rows.length === SPLITS.length ? 'every' : 'each'} view (columns) and split (rows)${allSame ? ', identical at every dose' : ` at dose ${doseLabel(g.dose)}`}, in the object frame.`,
      undefined, positionsDisplayWidth(cells, opts)));
  }
  // The overlap table: one row per view and split (per dose only where doses differ).
  const rowsFor = (dose: number): { key: string; cells: Cell[] }[] => {
    const out: { key: string; cells: Cell[] }[] = [];
    for (const split of SPLITS) {
      const base = [...OVERLAP_VIEWS].map((v) => bundles.get(`${dose}|${v}`)?.[split]?.input).find((x): x is OverlapStats => !!x) ?? null;
      const n = counts.get(`${dose}|baseline|${split}`) ?? base?.positions ?? null;
      if (n !== null || base) out.push(overlapRow('baseline', split, n, base, null));
      for (const view of OVERLAP_VIEWS) {
        const v = bundles.get(`${dose}|${view}`)?.[split] ?? null;
        const nv = counts.get(`${dose}|${view}|${split}`) ?? v?.positions ?? null;
        if (nv !== null || v) out.push(overlapRow(view, split, nv, v, v));
      }
    }
    return out;
  };
  const byDose = doses.map((d) => ({ dose: d, rows: rowsFor(d) })).filter((x) => x.rows.length > 0);
  const sameRows = byDose.length > 1 && byDose.every((x) => JSON.stringify(x.rows.map((r) => r.cells)) === JSON.stringify(byDose[0]!.rows.map((r) => r.cells)));
  const tableRows: Cell[][] = sameRows
    ? byDose[0]!.rows.map((r) => r.cells)
    : byDose.flatMap((x) => x.rows.map((r) => [doseLabel(x.dose), ...r.cells]));
  parts.push('<h3>Positions and measured overlap per view</h3>');
  // the neighbours each position's overlap is averaged over, when every view and split used the same number
  const ks = new Set([...bundles.values()].flatMap((b) => [b.train?.neighbourCount, b.test?.neighbourCount]).filter((k): k is number => typeof k === 'number'));
  // design.json's neighbor_count is another K (the reference's K-choose-C grouping): said so where the two differ, as both are on the page
  const design = ctx.plan.design && 'value' in ctx.plan.design ? ctx.plan.design.value as { design?: { neighbor_count?: unknown } } | null : null;
  const designK = typeof design?.design?.neighbor_count === 'number' ? design.design.neighbor_count : null;
  const notDesign = designK !== null && ks.size === 1 && !ks.has(designK)
    ? `, not the <code>neighbor_count</code> of design.json (${formatNumber(designK)}: the K of the reference's K-choose-C grouping of patterns, recorded there and used by no phase of this study)` : '';
  const kText = ks.size === 1 ? `its ${formatNumber([...ks][0]!)} nearest neighbours (<code>neighbor_count</code> of <code>metrics_bundle.json</code>${notDesign})` : 'its nearest neighbours';
  parts.push('<p class="small">Overlap: for each position, the mean overlap fraction of its probe disc with those of ' + kText + ', averaged over positions (Phase D, docs/overlap.md); coverage: the share of the object within half a probe diameter of a position. The baseline is the whole Phase C split. A view\'s nominal fraction f (<code>overlap_views</code> of the design: dense 0.7, sparse 0.2 by default) is not a target for this overlap: it only sets the spacing threshold S = (1 − f)·N, the least distance between two kept positions (N: the side of a diffraction pattern in pixels).</p>');
  const headers = ['view', 'split', 'positions', 'overlap', 'coverage', 'median spacing (px)', 'spacing threshold (px)', 'selection'];
  parts.push(table(sameRows ? headers : ['dose', ...headers], tableRows,
    { caption: sameRows ? 'Positions and overlap (the same at every dose)' : 'Positions and overlap', empty: 'no Phase C or Phase D datasets found', sortable: true, ...(sameRows ? {} : { groupBy: 0 }) }));
  if (tableRows.length === 0) ctx.missing.push('position counts');
}

function overlapRow(view: string, split: string, n: number | null, s: OverlapStats | null, v: ViewOverlap | null): { key: string; cells: Cell[] } {
  const sel = v ? [v.strategy, v.candidates !== null && v.positions !== null ? `${v.positions} of ${v.candidates}` : null, v.insufficient ? 'fewer than requested' : null].filter(Boolean).join(', ') : 'all positions';
  return {
    key: `${view}|${split}`,
    cells: [view, split, n, { html: esc(pct(s?.overlap)), cls: 'num' }, { html: esc(pct(s?.coverage)), cls: 'num' },
            // one decimal each, a whole number too (39.0 beside 15.5, not 39)
      s?.nnMedian != null ? { html: s.nnMedian.toFixed(1), cls: 'num' } : null, v?.spacingThreshold != null ? { html: v.spacingThreshold.toFixed(1), cls: 'num' } : null, sel],
  };
}

/** Data: the ground-truth object and probe, diffraction patterns, scan positions, overlap per view. */
export async function dataSection(ctx: ReportContext): Promise<Section> {
  const parts: string[] = [];
  for (const part of [objectAndProbe, diffraction, energies, detectorMasks, positionsAndOverlap]) {
    await yieldToEventLoop(); // let signals (Ctrl-C) through between the parts' figures
    await part(ctx, parts);
  }
  return { id: 'data', title: 'Data', body: parts.join('\n') };
}

