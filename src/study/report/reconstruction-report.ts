/**
 * The HTML report of one reconstruction: the folder `lsqml --out DIR` writes (reconstruction.npz, with
 * reconstruction_run.json and lsqml.log beside it), not a study hub. One self-contained page,
 * `DIR/report/index.html`, with its images in `DIR/report/img/`, in the study report's style: the object
 * over the scanned region, the probe modes with their power fractions, the loss per epoch, the scan
 * positions, the detector mask the reconstruction applied, a few patterns of the input file (only when
 * the file is still where the run read it and its SHA-256 is the one recorded), the input file's
 * provenance, the settings and options used and the software versions.
 *
 * The input path comes from a file (reconstruction_run.json), so it is followed only inside the folder's
 * parent directory tree (a data file beside the `lsqml --out` folder, or below that directory); a path
 * elsewhere is not read, and the page says why and that `input` (`report --input FILE`) names the file. A
 * file the caller names is read wherever it is. Either way its size and SHA-256 must be those recorded; a named
 * file that cannot be drawn (none there, a directory, a FIFO, a symbolic-link loop, another size or SHA-256) is an
 * `InputError` naming it, with nothing written (a recorded path is only noted on the page).
 *
 * Everything the page shows is read and checked before anything is written: a damaged reconstruction.npz is an
 * `InputError` naming it, and no report directory is made (there is nothing to show). reconstruction_run.json is
 * secondary evidence (the run's host, times, the input path and start files): one that is there but broken (not
 * JSON, not an object, a directory, a dangling link, past the bound) is listed as the study report lists a broken hub
 * file — the page is written from reconstruction.npz, names the file and why under "Broken evidence" and where its
 * part would be, and the result lists it in `broken` (`report` exits 1). An existing report is kept: building over
 * it is refused unless `force` is given, and then it is replaced as the study
 * report replaces its own (built in a temporary directory, renamed into place under the report directory's
 * lock; the earlier page stays whole until then).
 */
import { existsSync, lstatSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { namedInPlace, writeFailed, writeFileAtomic } from '../../files/atomic.js';
import { brokenRecord, readJsonRecord } from '../../files/json-record.js';
import { resolveRecorded } from '../../files/paths.js';
import { missingDirs, removeEmptyDirs } from '../../files/dirs.js';
import { clearEndedBuilds, moveBuildIn, newBuildDir } from './build-dir.js';
import { LockWaitAbortedError, MERGE_WAIT_MS, withLock } from '../../files/lock.js';
import { checkWritableDir } from '../../files/writable.js';
import { readMetadata } from '../../data/metadata.js';
import type { ComplexImage } from '../../math/image.js';
import { amplitudeOf, phaseOf, scannedRegion } from '../../metrics/index.js';
import { NpzReader } from '../../npy/npz.js';
import { renderChart, singleLossChartSpec } from '../../report/charts.js';
import { percentileRange } from '../../report/colormap.js';
import { FADE_RULE, renderFigure, type FigureRow, type Panel } from '../../report/figure.js';
import { brokenNote, esc, grid, notAvailable, page, table, type Cell, type Section } from '../../report/html.js';
import { positionMapsSvg, renderPositionMaps } from '../../report/positions.js';
import { formatLength, objectPixelSizeM } from '../../report/scalebar.js';
import { formatLoss, formatNumber } from '../../report/ticks.js';
import { packageVersion } from '../../version.js';
import { checkReconstructionSettings } from '../../settings/parse.js';
import { printable, shellJoin } from '../../text.js';
import { PHASE_F, REPORT } from '../hub/layout.js';
import { float64Of } from '../hub/datasets.js';
import { readReconstructionMask, type ReconstructionMask } from '../hub/reconstruction-arrays.js';
import { maskSources } from './data-section.js';
import { readInputPatterns, type InputPatterns } from './input-patterns.js';
import { brokenReason, brokenSection, depVersion, energyFact, ImageDir, pct, settingRows, settingRowsWithOrigin, valueHtml, type BrokenFile, type DrawnFigure } from './sections.js';
import type { ReportProgress, ReportResult } from './phase.js';
import { checkOptionNames, checkSignalOption, optionNames, StudyAbortedError, throwIfStopped, yieldToEventLoop } from '../phase.js';

/** The files of an `lsqml --out` folder the report reads. */
export const LSQML_FOLDER = { reconstruction: PHASE_F.reconstruction, run: PHASE_F.runRecord } as const;

/** Largest reconstructed object drawn (pixels): 8192² . */
const MAX_OBJECT_PIXELS = 2 ** 26;
/** Largest probe mode (pixels) and most modes read. */
const MAX_PROBE_PIXELS = 2 ** 22;
const MAX_PROBE_MODES = 50;
/** Probe modes drawn (the power fractions of all are tabled). */
const MODES_DRAWN = 8;
const MAX_EPOCHS = 10_000_000;
const MAX_POSITIONS = 10_000_000;
/** The width (CSS px) the page draws a wide figure at: the largest `figure img` (report/html.ts). */
const OBJECT_DISPLAY_WIDTH = 1000;
/**
 * Text size of the object figure, times the usual: printed on A4 (718 CSS px wide; two 360-px panels and their colour
 * bars, about 930 SVG px) its smallest text, a scale bar's label, printed at 5.2 pt; at 1.3, at 6.4 pt. The other
 * figures, drawn at its scale, keep theirs above 6 pt (docs/metrics.md, "Report").
 */
export const OBJECT_TEXT_SCALE = 1.3;
/** Patterns drawn from the input file. */
const PATTERNS_DRAWN = 3;

const NOT_WRITTEN = 'no report was written';

export interface ReconstructionReportOptions {
  /** Replace an existing report (else an existing DIR/report/index.html is a UsageError naming --force). */
  force?: boolean;
  /**
   * The input file to draw a few patterns from (checked against the size and SHA-256 the reconstruction recorded).
   * Without it the path reconstruction_run.json records is followed only inside the folder's parent directory tree.
   */
  input?: string;
  onProgress?: (p: ReportProgress) => void;
  /** How long to wait for another report of the same folder (ms; default 10 minutes). */
  lockWaitMs?: number;
  /**
   * Stops the build when aborted: while it waits for another build of the same report, or between two sections.
   * Nothing of it is kept (the page is not written, an earlier report stays as it was, a report folder this call
   * made is removed while empty); the lock is released and the call rejects with `StudyAbortedError` (`phase`
   * 'report').
   */
  signal?: AbortSignal;
}

/** What reconstruction.npz and reconstruction_run.json hold, read and checked. */
interface Reconstruction {
  dir: string;
  npz: string;
  object: ComplexImage;
  /** Every probe mode. */
  probes: ComplexImage[];
  loss: number[] | null;
  /** Scan centres as stored ([ycoords, xcoords] interleaved, object pixels), or null. */
  positions: Float64Array | null;
  meta: Record<string, unknown>;
  mask: ReconstructionMask | null;
  /** reconstruction_run.json, or null when it is absent or broken. */
  run: Record<string, unknown> | null;
  /** Why reconstruction_run.json is there but could not be read, or null (absent, or read). */
  runBroken: string | null;
}

/** Whether `dir` is a folder `lsqml --out` wrote (it holds reconstruction.npz). */
export function isReconstructionFolder(dir: string): boolean {
  return existsSync(join(dir, LSQML_FOLDER.reconstruction));
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A complex member, its header's dtype, size and shape checked before any of its data is read: `shapeOk` judges
 * the declared shape, `expected` words what it should be.
 */
function complexOf(r: NpzReader, path: string, key: string, maxElements: number, shapeOk: (s: number[]) => boolean,
  expected: string): { shape: number[]; data: Float64Array } {
  if (!r.has(key)) throw new InputError(`${path}: no '${key}'`);
  const h = r.header(key);
  if (h.info.dtype !== '<c8' && h.info.dtype !== '<c16') throw new InputError(`${path}: key '${key}': expected complex (<c8 or <c16); found ${h.info.dtype}`);
  const elements = h.shape.reduce((a, b) => a * b, 1);
  if (elements > maxElements) throw new InputError(`${path}: key '${key}': expected at most ${maxElements} elements; found shape [${h.shape.join(', ')}]`);
  if (!shapeOk(h.shape)) throw new InputError(`${path}: key '${key}': expected ${expected}; found shape [${h.shape.join(', ')}]`);
  const a = r.get(key);
  return { shape: a.shape, data: Float64Array.from(a.data as Float32Array | Float64Array) };
}

function optionalFloats(r: NpzReader, path: string, key: string, shapeOk: (s: number[]) => boolean, expected: string): Float64Array | null {
  if (!r.has(key)) return null;
  const h = r.header(key);
  if (!shapeOk(h.shape)) throw new InputError(`${path}: key '${key}': expected ${expected}; found shape [${h.shape.join(', ')}]`);
  return float64Of(r.get(key), `${path}: key '${key}'`);
}

/** Reads and checks everything the page shows; an `InputError` naming the file when anything is damaged. */
function readReconstruction(dir: string): Reconstruction {
  const npz = join(dir, LSQML_FOLDER.reconstruction);
  let rec: Omit<Reconstruction, 'mask' | 'run' | 'runBroken'>;
  let mask: ReconstructionMask | null;
  try {
    const r = NpzReader.open(npz);
    try {
      const m = readMetadata(r);
      if (m.status === 'absent') throw new InputError(`${npz}: no '_metadata' (every reconstruction lsqml writes records one)`);
      if (m.status === 'error') throw new InputError(`${npz}: key '_metadata': ${m.error}`);
      if (!isRecord(m.value)) throw new InputError(`${npz}: key '_metadata': expected a JSON object; found ${JSON.stringify(m.value).slice(0, 60)}`);
      const o = complexOf(r, npz, 'reconstructed_object', MAX_OBJECT_PIXELS, (s) => s.length === 2 && s[0]! >= 1 && s[1]! >= 1, 'complex [H, W]');
      const p = complexOf(r, npz, 'reconstructed_probe', MAX_PROBE_PIXELS * MAX_PROBE_MODES,
        (s) => (s.length === 2 || s.length === 3) && s.every((d) => d >= 1) && (s.length === 2 || s[0]! <= MAX_PROBE_MODES) &&
          s[s.length - 1]! * s[s.length - 2]! <= MAX_PROBE_PIXELS,
        `complex [M, N, N] (M ≤ ${MAX_PROBE_MODES})`);
      const ps = p.shape;
      const ph = ps[ps.length - 2]!, pw = ps[ps.length - 1]!;
      const modes = ps.length === 3 ? ps[0]! : 1;
      const probes = Array.from({ length: modes }, (_, k) => ({ h: ph, w: pw, data: p.data.subarray(2 * k * ph * pw, 2 * (k + 1) * ph * pw) }));
      const loss = optionalFloats(r, npz, 'loss_history', (s) => s.length === 1 && s[0]! <= MAX_EPOCHS, `float [epochs] (at most ${MAX_EPOCHS})`);
      const positions = optionalFloats(r, npz, 'positions', (s) => s.length === 2 && s[1] === 2 && s[0]! <= MAX_POSITIONS, `float [n, 2] (n at most ${MAX_POSITIONS})`);
      rec = { dir, npz, object: { h: o.shape[0]!, w: o.shape[1]!, data: o.data }, probes, loss: loss ? Array.from(loss) : null, positions, meta: m.value };
    } finally {
      r.close();
    }
    mask = readReconstructionMask(npz);
  } catch (err) {
    const message = (err as Error).message;
    throw brokenRecord(npz, message.startsWith(npz) ? message.slice(npz.length).replace(/^:\s*/, '') : message, NOT_WRITTEN);
  }
  // secondary evidence: broken, it is named on the page (Broken evidence), which is drawn from reconstruction.npz
  const runPath = join(dir, LSQML_FOLDER.run);
  try {
    const run = readJsonRecord(runPath);
    if (run !== null && !isRecord(run.value)) throw brokenRecord(runPath, `expected a JSON object; found ${JSON.stringify(run.value).slice(0, 60)}`);
    return { ...rec, mask, run: run ? run.value as Record<string, unknown> : null, runBroken: null };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { ...rec, mask, run: null, runBroken: brokenReason(runPath, err) };
  }
}

/** What a part of the page that needs reconstruction_run.json says when the file is broken. */
const RUN_BROKEN = `${LSQML_FOLDER.run} is there but could not be read (see Broken evidence)`;

/**
 * A few patterns of the input file, read only when its size and SHA-256 are the ones recorded in `_metadata.input`
 * (input-patterns.ts): the file `named` by the caller, else the one the run recorded (`recorded`) when it lies inside
 * the parent directory tree of the folder `dir` (module comment).
 */
async function patternsOf(rec: Reconstruction, dir: string, recorded: string | null, named: string | undefined): Promise<InputPatterns> {
  if (named !== undefined) {
    // a file the user names is one they mean to be drawn: one that cannot be is refused, before anything is written
    const expected = 'the data file the reconstruction read (its size and SHA-256 those _metadata.input of reconstruction.npz records)';
    const refuse = (found: string): InputError => new InputError(`\`input\` ${printable(named, 500)}: expected ${expected}; found ${found}`);
    let st;
    try {
      st = statSync(named);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && lstatSync(named, { throwIfNoEntry: false }) === undefined) throw refuse('no such file');
      throw refuse(code === 'ELOOP' ? 'a loop of symbolic links' : code === 'ENOENT' ? 'a symbolic link to nothing' : `it unreadable (${printable((err as Error).message, 200)})`);
    }
    if (!st.isFile()) throw refuse(st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a named pipe (FIFO)' : 'no regular file');
    const p = await readInputPatterns(rec.meta, resolve(named), PATTERNS_DRAWN);
    if ('why' in p) throw refuse(`that ${p.why}`);
    return p;
  }
  const remedy = `name the file (\`report --input FILE\`) to draw them`;
  if (recorded === null) return { why: `${rec.runBroken !== null ? `the input path is not known: ${RUN_BROKEN}` : `${LSQML_FOLDER.run} records no input path`}; ${remedy}` };
  const parent = dirname(resolve(dir));
  const path = resolveRecorded(dir, recorded, [parent]);
  if (path === null) {
    return { why: `the input path ${LSQML_FOLDER.run} records, ${recorded}, lies outside ${parent} (the folder's parent), and a path read ` +
      `from a file is not followed there; ${remedy}` };
  }
  return readInputPatterns(rec.meta, path, PATTERNS_DRAWN);
}

/** The settings file the page's command reads (in the report folder, beside index.html). */
export const RERUN_SETTINGS = 'lsqml-settings.json';

/**
 * The command that runs this reconstruction again, built from what it recorded: `_metadata.reconstruction_settings`
 * (every setting but the thread count, which changes no result) written to `settingsPath` as a settings file
 * (`{ reconstruction: … }`, for `--config`), the start files at the paths reconstruction_run.json records, the input
 * file named by the caller (`report --input`) or else the one reconstruction_run.json records, and a new folder
 * beside `dir`. Paths are quoted for a POSIX shell. `{ why }` when the record does not allow it (no settings, a start
 * file's path or the input path not recorded, settings this version refuses).
 */
export function rerunCommand(meta: Record<string, unknown>, run: Record<string, unknown> | null, dir: string, settingsPath: string,
  named: string | undefined): { command: string; settings: string; input: string; inputFrom: string } | { why: string } {
  if (!isRecord(meta.reconstruction_settings)) return { why: '_metadata records no reconstruction_settings' };
  const settings: Record<string, unknown> = { ...meta.reconstruction_settings };
  // start files are recorded by name in _metadata, their paths in reconstruction_run.json
  for (const [key, pathKey] of [['initProbe', 'init_probe_path'], ['initObject', 'init_object_path']] as const) {
    const v = settings[key];
    if (typeof v !== 'string' || !v.startsWith('file:')) continue;
    const path = run?.[pathKey];
    if (typeof path !== 'string' || path === '') return { why: `${LSQML_FOLDER.run} records no ${pathKey} (the path of ${v.slice(5)}, reconstruction.${key})` };
    settings[key] = `file:${path}`;
  }
  try {
    checkReconstructionSettings(settings);
  } catch (err) {
    return { why: `this version refuses the recorded settings (${(err as Error).message.split('\n')[0]})` };
  }
  let input: string, inputFrom: string;
  if (named !== undefined) { input = resolve(named); inputFrom = 'the file `report --input` named'; }
  else if (typeof run?.input_npz === 'string' && run.input_npz !== '') { input = run.input_npz; inputFrom = `the input path ${LSQML_FOLDER.run} records (input_npz)`; }
  else return { why: `${LSQML_FOLDER.run} records no input path; name the file (\`report --input FILE\`)` };
  const out = `${resolve(dir)}-rerun`;
  return {
    command: shellJoin(['ptychostudy', 'lsqml', '--config', settingsPath, '--input', input, '--out', out]),
    settings: JSON.stringify({ reconstruction: settings }, null, 2) + '\n', input, inputFrom,
  };
}

/** One number of `_metadata`, or null. */
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The page's sections; images go to `img`. */
async function sections(rec: Reconstruction, img: ImageDir, missing: string[], patterns: InputPatterns, inputPath: string | null,
  rerun: ReturnType<typeof rerunCommand>, progress: (title: string) => void, signal: AbortSignal | undefined, finalImg: string): Promise<Section[]> {
  const na = (what: string): string => { missing.push(what); return notAvailable(what); };
  const { meta } = rec;
  const geometry = isRecord(meta.geometry) ? meta.geometry : null;
  const pixel = objectPixelSizeM(geometry);
  const pixelX = pixel ? pixel[1] : null;
  const pixelNote = pixel ? `one object pixel is ${formatLength(pixel[1])} (x) × ${formatLength(pixel[0])} (y)` : 'the data states no object pixel size, so lengths are in pixels';
  const input = isRecord(meta.input) ? meta.input : {};
  const out: Section[] = [];
  // sections compute synchronously: between two, signals (Ctrl-C) get through, and an aborted `signal` stops the build
  const done = async (s: Section): Promise<void> => {
    out.push(s);
    progress(s.title);
    await yieldToEventLoop();
    throwIfStopped(signal, 'report'); // nothing of this build is kept
  };

  // the scan centres in object pixels: `positions` holds the input's [ycoords, xcoords] (lsqml-job.ts)
  const N = rec.probes[0]!.h;
  const { h: H, w: W } = rec.object;
  // positions that are not finite numbers (a hand-edited file) are left out of the region and the map, and counted
  const finite = rec.positions ? [...Array(rec.positions.length / 2).keys()].filter((i) => Number.isFinite(rec.positions![2 * i]) && Number.isFinite(rec.positions![2 * i + 1])) : [];
  const n = finite.length;
  const notFinite = rec.positions ? rec.positions.length / 2 - n : 0;
  const ys = Float64Array.from(finite, (i) => rec.positions![2 * i]!);
  const xs = Float64Array.from(finite, (i) => rec.positions![2 * i + 1]!);

  // (√Ŷ − √y)² has the unit of the intensities y the engine fitted: photons for a dataset NPZ ((diffraction · s)²), the
  // file's own values for a CXI or PtyPy file
  const npz = meta.input_format === 'npz';
  const lossUnit = npz ? 'photons' : 'value as stored';

  // At a glance
  const lastLoss = rec.loss && rec.loss.length ? rec.loss[rec.loss.length - 1]! : num(meta.final_loss);
  const facts: [string, string][] = [
    ['input', `${str(input.file) ?? 'not recorded'} (${str(meta.input_format) ?? 'format not recorded'})`],
    ['positions', n ? `${n}${num(meta.n_positions_in_file) !== null && meta.n_positions_in_file !== n ? ` of the file's ${meta.n_positions_in_file}` : ''}` : 'not recorded'],
    ['epochs', `${num(meta.epochs_run) ?? rec.loss?.length ?? '—'}, final loss ${formatLoss(lastLoss)}${lastLoss === null ? '' : ` (${lossUnit} per pixel)`}`],
    ['object', `${H}×${W} px`],
    ['probe', `${rec.probes.length} mode${rec.probes.length === 1 ? '' : 's'} of ${N}×${rec.probes[0]!.w} px`],
    ['pixel size', pixel ? `${formatLength(pixel[1])} (x) × ${formatLength(pixel[0])} (y)` : 'not stated by the data (lengths in pixels)'],
  ];
  const energy = energyFact(geometry);
  if (energy !== null) facts.push(['energy', energy]);
  // what the reconstruction is known by, at the top (its every setting is under Settings, versions under Software)
  const seed = isRecord(meta.reconstruction_settings) ? num(meta.reconstruction_settings.seed) : null;
  const engine = `${str(meta.engine) ?? ''} ${str(meta.engine_version) ?? ''}`.trim();
  const started = rec.run ? str(rec.run.created_utc) : null;
  const made = [seed !== null ? `seed ${seed}` : '', started !== null ? `started ${started}` : '', engine ? `by ${engine}` : ''].filter(Boolean).join(', ');
  if (made) facts.push(['run', `${made} (every setting under Settings)`]);
  if (rec.mask) {
    const m = rec.mask.record;
    facts.push(['detector mask', m.applied === true ? `applied: ${formatNumber(Number(m.pixels_masked))} of ${formatNumber(Number(m.pattern_pixels))} pixels masked (see Data)` : 'off (see Data)']);
  }
  const warnings = Array.isArray(meta.warnings) ? meta.warnings.filter((w): w is string => typeof w === 'string') : [];
  const glance = [`<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`];
  glance.push('<p class="small">One reconstruction: there is no ground truth, so nothing is compared or scored; every image is the reconstruction only. The command that runs it again is under <a href="#settings">Settings</a>.</p>');
  if (warnings.length) glance.push(table(['warning'], warnings.map((w) => [{ html: esc(w), cls: 'wrap' }]), { caption: 'Warnings the reconstruction recorded (_metadata.warnings)' }));
  await done({ id: 'glance', title: 'At a glance', body: glance.join('\n') });

  // Object, over the scanned region
  const objParts: string[] = [];
  const region = n ? scannedRegion(H, W, ys, xs, N, { mode: 'patches' }) : { y0: 0, y1: H, x0: 0, x1: W };
  const rh = region.y1 - region.y0, rw = region.x1 - region.x0;
  const cut = new Float64Array(2 * rh * rw);
  for (let y = 0; y < rh; y++) cut.set(rec.object.data.subarray(2 * ((region.y0 + y) * W + region.x0), 2 * ((region.y0 + y) * W + region.x0 + rw)), 2 * y * rw);
  const obj: ComplexImage = { h: rh, w: rw, data: cut };
  const amp = amplitudeOf(obj).data, ph = phaseOf(obj).data;
  const [a0, a1] = percentileRange(amp, 0.01, 0.99), [p0, p1] = percentileRange(ph, 0.01, 0.99);
  const objFig = renderFigure([{ cells: [
    // each colour bar names what it shows: |O| (the transmission's modulus, no unit), the phase in rad
    { title: 'object amplitude', width: rw, height: rh, values: amp, quantity: 'object-amplitude', vmin: a0, vmax: a1, pixelSizeM: pixelX, label: '|O|' },
    { title: 'object phase', width: rw, height: rh, values: ph, quantity: 'object-phase', vmin: p0, vmax: p1, pixelSizeM: pixelX },
  ] }], { imageSize: 360, title: 'Reconstructed object over the scanned region', subtitle: 'each image on its own 1st–99th percentile range', textScale: OBJECT_TEXT_SCALE });
  // Every figure's PNG is zoomed to at least 1600 px, so a narrow one (one probe mode, the scan map) would fill the
  // column like the wide object figure and its text would come out larger: each is drawn at the object figure's scale
  // (page pixels per figure pixel), the object figure at the column's width.
  const shownWidth = (svgWidth: number): number => svgWidth * OBJECT_DISPLAY_WIDTH / objFig.figure.width;
  objParts.push(img.figure(img.write('object.png', objFig.png, objFig.figure.panels, objFig.figure.smallestText * objFig.zoom),
    `Amplitude and phase of reconstructed_object over the scanned region (rows ${region.y0}–${region.y1 - 1}, columns ${region.x0}–${region.x1 - 1} of the ${H}×${W} px object: the bounding box of the ${N}-px patches at the scan positions${n ? '' : '; no positions recorded, so the whole object'}), each on its own 1st–99th percentile range (the share of clipped pixels under each image); reconstruction only, no ground truth; ${pixelNote}.`));
  await done({ id: 'object', title: 'Object', body: objParts.join('\n') });

  // Probe modes
  const powers = rec.probes.map((p) => { let s = 0; for (let i = 0; i < p.data.length; i++) s += p.data[i]! * p.data[i]!; return s; });
  const total = powers.reduce((a, b) => a + b, 0);
  const drawn = rec.probes.slice(0, MODES_DRAWN);
  const colLabels = drawn.map((_, k) => `mode ${k} (${pct(total > 0 ? powers[k]! / total : null)})`);
  const probeRows: FigureRow[] = [
    { label: 'amplitude', cells: drawn.map((p): Panel => ({ width: p.w, height: p.h, values: amplitudeOf(p).data, quantity: 'probe-amplitude', pixelSizeM: pixelX, label: '|P|' })) },
    { label: 'phase', cells: drawn.map((p): Panel => ({ width: p.w, height: p.h, values: phaseOf(p).data, quantity: 'probe-phase', vmin: -Math.PI, vmax: Math.PI, pixelSizeM: pixelX, amplitude: amplitudeOf(p).data })) },
  ];
  const probeFig = renderFigure(probeRows, { colLabels, imageSize: 200, title: 'Reconstructed probe', subtitle: 'amplitude on each mode\'s full range; phase −π … π; column titles give each mode\'s share of the power' });
  const probeParts = [img.figure(img.write('probe.png', probeFig.png, probeFig.figure.panels, probeFig.figure.smallestText * probeFig.zoom),
    `Amplitude and phase of ${drawn.length < rec.probes.length ? `the first ${drawn.length} of the ${rec.probes.length}` : rec.probes.length === 1 ? 'the' : `all ${rec.probes.length}`} probe mode${rec.probes.length === 1 ? '' : 's'} (reconstructed_probe, ${N}×${rec.probes[0]!.w} px; a probe's global phase is arbitrary); the phase ${FADE_RULE.replace('its maximum', rec.probes.length === 1 ? 'its maximum' : 'that mode\'s maximum')}; ${pixelNote}.`, undefined, shownWidth(probeFig.figure.width))];
  probeParts.push(table(['mode', 'power fraction', 'power (sum of |P|²)'], powers.map((p, k): Cell[] => [k, { html: esc(pct(total > 0 ? p / total : null, 2)), cls: 'num' }, { html: esc(p.toExponential(4)), cls: 'num' }]),
    { caption: 'Power of each probe mode (its share of the sum over all modes)' }));
  await done({ id: 'probe', title: 'Probe', body: probeParts.join('\n') });

  // Convergence
  const lossParts: string[] = [];
  if (!rec.loss || rec.loss.length === 0) lossParts.push(na('loss curve: reconstruction.npz holds no loss_history'));
  else {
    const first = rec.loss.length > 1 ? 1 : 0;
    const { svg, png, smallestTextPx } = await renderChart(singleLossChartSpec(rec.loss, { firstEpoch: first, subtitle: 'log scale', yTitle: `loss per pixel (${lossUnit})` }),
      join(finalImg, 'loss.png'));
    const src = img.write('loss.png', png, undefined, smallestTextPx);
    const svgSrc = img.write('loss.svg', svg);
    // pty-chi's loss sums over every detector pixel: a masked one counts with the 0 it was set to, unfitted
    const masked = rec.mask?.record.applied === true ? Number(rec.mask.record.pixels_masked) : 0;
    const maskNote = masked > 0 ? ` Every detector pixel counts in it, the ${formatNumber(masked)} masked ones included, with the 0 they were set to (as pty-chi counts them); they are not fitted, so with a mask the loss stays above the noise level of the fitted pixels (docs/real-data.md, "Detector mask").` : '';
    lossParts.push(img.figure(src, { html: `Loss per epoch (loss_history of reconstruction.npz, ${rec.loss.length} epochs; final ${esc(formatLoss(lastLoss))}): the mean over minibatches of the mean over positions and detector pixels of (√Ŷ − √y)², the squared difference between the modelled and measured diffraction amplitudes (Ŷ, y: modelled and measured intensities; docs/lsqml.md), so in the unit of the intensities: ${npz ? 'photons (the dataset NPZ\'s (diffraction · intensity_scale)²)' : 'the file\'s values as stored (counts, ADU…; see the patterns under Data)'}.${esc(maskNote)}${first ? ' Epoch 0, which only rescales the probe, is left out.' : ''} <a href="${esc(svgSrc)}">SVG</a>` }, undefined,
      shownWidth(Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1] ?? objFig.figure.width))));
  }
  await done({ id: 'loss', title: 'Convergence', body: lossParts.join('\n') });

  // Scan positions
  const posParts: string[] = [];
  if (!n) posParts.push(na(`scan positions: reconstruction.npz holds ${rec.positions ? 'no finite ones' : 'none'}`));
  else {
    const cells = [[{ title: `n = ${n}`, xs, ys, width: W, height: H }]], mapOpts = { title: 'Scan positions', pixelSizeM: pixelX, size: 360 };
    const width = shownWidth(positionMapsSvg(cells, mapOpts).width);
    const positions = renderPositionMaps(cells, mapOpts);
    posParts.push(img.figure(img.write('positions.png', positions.png, undefined, positions.smallestTextPx), `Scan centres (positions of reconstruction.npz) in the ${H}×${W} px object frame; ${pixelNote}.`, undefined, width));
  }
  if (notFinite > 0) posParts.push(na(`${notFinite} scan position${notFinite === 1 ? '' : 's'} of reconstruction.npz: not finite numbers, left out of the map and the scanned region`));
  await done({ id: 'positions', title: 'Scan positions', body: posParts.join('\n') });

  // Data: the detector mask and a few patterns of the input file
  const data: string[] = [];
  if (rec.mask) {
    const r = rec.mask.record;
    const row: Cell[] = r.applied === true
      ? ['applied', { html: esc(`${formatNumber(Number(r.pixels_masked))} of ${formatNumber(Number(r.pattern_pixels))} (${pct(Number(r.pixels_masked) / Number(r.pattern_pixels), 2)})`), cls: 'num' }, { html: esc(maskSources(r) || 'none'), cls: 'wrap' }]
      : ['off', null, { html: esc(typeof r.reason === 'string' ? r.reason : 'switched off: every pixel fitted as read'), cls: 'wrap' }];
    data.push('<h3>Detector mask</h3>');
    data.push(table(['mask', 'pixels masked', 'sources (pixels)'], [row], { caption: 'What the reconstruction left unfitted (_metadata.detector_mask of reconstruction.npz; a pixel may be masked by several sources; docs/real-data.md, "Detector mask")' }));
    const m = rec.mask.mask;
    if (m && r.applied === true) {
      const count = m.data.reduce((a, v) => a + (v ? 1 : 0), 0);
      const f = renderFigure([{ cells: [{ title: `${formatNumber(count)} pixels masked`, width: m.w, height: m.h, values: Float64Array.from(m.data, (v) => (v ? 1 : 0)), quantity: 'detector-mask', vmin: 0, vmax: 1, pixelUnit: 'px' }] }],
        { imageSize: 200, title: 'Detector mask', subtitle: 'black: masked (left unfitted, set to 0 in the data); white: fitted' });
      data.push(grid([img.figure(img.write('detector_mask.png', f.png, f.figure.panels, f.figure.smallestText * f.zoom), `Detector mask (${m.h}×${m.w} detector pixels, DC at the centre): black pixels were masked — no far-field constraint, their values set to 0 — white pixels were fitted; from detector_mask of reconstruction.npz; the scale bar is in detector pixels.`)], 'gallery'));
    } else if (r.applied === true) data.push('<p class="small">No pixel was masked, so reconstruction.npz holds no detector_mask array.</p>');
  } else data.push(na('detector mask: _metadata records none (the input was a dataset NPZ, which carries no mask)'));
  data.push('<h3>Patterns of the input file</h3>');
  if ('why' in patterns) data.push(na(`patterns: not drawn — ${patterns.why}`));
  else {
    // The colour scale ends at the brightest pixel the reconstruction fitted: a masked pixel's value (a module gap's or a
    // saturated pixel's integer maximum, summed over a bin: ~10¹⁰) would take the scale and leave the patterns dark.
    const m = rec.mask?.record.applied === true ? rec.mask.mask : null;
    const masked = m !== null && m.h === patterns.h && m.w === patterns.w ? m.data : null;
    let vmax = 1, maskedAbove = 0;
    for (const r of patterns.rows) for (let i = 0; i < r.values.length; i++) if (!masked?.[i] && r.values[i]! > vmax) vmax = r.values[i]!;
    if (masked) for (let i = 0; i < masked.length; i++) if (masked[i] && patterns.rows.some((r) => r.values[i]! > vmax)) maskedAbove++;
    const scaleNote = maskedAbove > 0
      ? ` (the brightest pixel the reconstruction fitted: ${formatNumber(maskedAbove)} masked pixel${maskedAbove === 1 ? ' holds' : 's hold'} more, drawn in the scale's top colour — a detector gap's or saturated pixel's value, not counts)`
      : '';
    const f = renderFigure([{ cells: patterns.rows.map((r): Panel => ({ width: patterns.w, height: patterns.h, values: r.values, quantity: 'diffraction', scale: 'log', vmin: 1, vmax, pixelUnit: 'px', belowLabel: 'below 1',
      // a file's values are what it stores (counts, ADU…), photons only where they are (diffraction · intensity_scale)² of an NPZ
      ...(patterns.unit.startsWith('counts') ? {} : { label: 'value as stored' }) })) }], {
      colourBars: 'figure', imageSize: 200, colLabels: patterns.rows.map((r) => `pattern ${r.index}`), title: 'Patterns of the input file (log scale)',
      subtitle: `one colour scale for all: 1 … the brightest ${masked ? 'fitted ' : ''}pixel; values below 1 take the lowest colour`,
    });
    data.push(img.figure(img.write('patterns.png', f.png, f.figure.panels, f.figure.smallestText * f.zoom),
      `Patterns ${patterns.rows.map((r) => r.index).join(', ')} of the ${patterns.total} in ${patterns.source} (${patterns.h}×${patterns.w} detector pixels; ${patterns.unit}, before any detector mask), one shared log colour scale from 1 to ${formatNumber(Math.round(vmax))}${scaleNote}; the file's size and SHA-256 match those recorded, so these are the data this reconstruction read; the scale bar is in detector pixels.`, undefined, shownWidth(f.figure.width)));
  }
  await done({ id: 'data', title: 'Data', body: data.join('\n') });

  // Input file
  const provenance: Cell[][] = [
    ['path (as the run recorded it)', { html: esc(inputPath ?? 'not recorded'), cls: 'wrap' }],
    ['file', str(input.file)],
    ['format', str(meta.input_format)],
    ['size (bytes)', num(input.size_bytes)],
    ['SHA-256', { html: `<code>${esc(str(input.sha256) ?? '—')}</code>`, cls: 'wrap' }],
    ['probe source', { html: valueHtml(meta.probe_source), cls: 'wrap' }],
    ['object start', { html: valueHtml(meta.init_object), cls: 'wrap' }],
    ['object frame', { html: valueHtml(meta.object_frame), cls: 'wrap' }],
    ['intensity scale', { html: intensityScaleHtml(meta.intensity_scale, meta.intensity_scale_source), cls: 'wrap' }],
  ];
  const inputParts = [table(['item', 'value'], provenance, { caption: 'The input file as the reconstruction recorded it (_metadata.input of reconstruction.npz, reconstruction_run.json)' })];
  if (geometry) inputParts.push(table(['parameter', 'value'], settingRows(geometry), { caption: 'Geometry read from the file (_metadata.geometry)', cls: 'settings' }));
  await done({ id: 'input', title: 'Input file', body: inputParts.join('\n') });

  // Settings
  const settings: string[] = ['<h3>Run it again</h3>'];
  if ('why' in rerun) settings.push(na(`the command that runs this reconstruction again: ${rerun.why}`));
  else {
    const src = `${REPORT.images}/${RERUN_SETTINGS}`;
    settings.push(`<pre><code>${esc(rerun.command)}</code></pre>`);
    settings.push(`<p class="small">Runs this reconstruction again into a new folder beside this one: every setting it recorded ` +
      `(_metadata.reconstruction_settings, all but the thread count, which changes no result) is in <a href="${esc(src)}">${esc(src)}</a>, a settings ` +
      `file for <code>--config</code>${isRecord(meta.reconstruction_settings) && [meta.reconstruction_settings.initProbe, meta.reconstruction_settings.initObject].some((v) => typeof v === 'string' && v.startsWith('file:')) ? ` (its start files at the paths ${esc(LSQML_FOLDER.run)} records)` : ''}; ` +
      `the input is ${esc(rerun.inputFrom)}, ${esc(rerun.input)}. The same file, settings and seed give the same reconstruction.npz ` +
      `(docs/lsqml.md), as long as the file's SHA-256 is still the one recorded (${esc(str(input.sha256)?.slice(0, 12) ?? 'not recorded')}…, Input file). ` +
      `The paths are quoted for a POSIX shell.</p>`);
  }
  if (isRecord(meta.job_options)) settings.push(table(['option', 'value'], settingRows(meta.job_options), { caption: 'Options of the run (_metadata.job_options)', cls: 'settings' }));
  if (isRecord(meta.reconstruction_settings)) {
    // where each came from, when the run recorded it (reconstruction_run.json settings_origin: a flag, the settings file, a preset)
    const origin = rec.run && isRecord(rec.run.settings_origin) ? rec.run.settings_origin : null;
    settings.push(table(origin === null ? ['setting', 'value'] : ['setting', 'value', 'from'],
      origin === null ? settingRows(meta.reconstruction_settings) : settingRowsWithOrigin(meta.reconstruction_settings, origin, 'reconstruction.'),
      { caption: `Reconstruction settings (_metadata.reconstruction_settings${typeof meta.settings_sha256 === 'string' ? `; settings hash ${meta.settings_sha256.slice(0, 12)}` : ''}${origin === null ? '' : `; from: ${LSQML_FOLDER.run} settings_origin`})`, cls: 'settings' }));
  }
  if (settings.length === 0) settings.push(na('settings: _metadata records neither job_options nor reconstruction_settings'));
  if (rec.run) {
    const r = rec.run;
    settings.push(table(['item', 'value'], [
      ['host', str(r.host)], ['threads', num(r.threads)], ['started (UTC)', str(r.created_utc)],
      ['wall time (s)', num(r.total_seconds) === null ? null : Number((r.total_seconds as number).toFixed(2))],
      ['FFT', `${valueHtml(meta.fft_backend)}${meta.wasm_kernels === true ? ', WebAssembly kernels' : ''}`], ['precision', str(meta.precision)],
    ], { caption: `The run (${LSQML_FOLDER.run})` }));
  } else if (rec.runBroken !== null) settings.push(brokenNote(`the run's record: ${join(rec.dir, LSQML_FOLDER.run)}: ${rec.runBroken}`));
  else settings.push(na(`the run's record: ${join(rec.dir, LSQML_FOLDER.run)} not found`));
  await done({ id: 'settings', title: 'Settings', body: settings.join('\n') });

  // Software
  const rows: Cell[][] = [
    ['engine that reconstructed (_metadata)', `${str(meta.engine) ?? '—'} ${str(meta.engine_version) ?? ''}`.trim()],
    ['algorithm', str(meta.algorithm)],
    ['ptychostudy that wrote this page', packageVersion()],
    ['node', process.version],
    ['platform', `${process.platform} ${process.arch}`],
    ...['vega', 'vega-lite', '@resvg/resvg-js', 'pngjs', 'fflate', 'h5wasm'].map((d): Cell[] => [d, depVersion(d)]),
  ];
  await done({ id: 'software', title: 'Software', body: table(['component', 'version'], rows) });
  return out;
}

/**
 * Writes `dir/report/index.html` (and its images) of the reconstruction in `dir` (an `lsqml --out` folder).
 * Reads and checks everything first: a damaged reconstruction.npz is an `InputError` naming it, with nothing written;
 * a broken reconstruction_run.json is listed in the result's `broken` and on the page (module comment).
 * An existing report is a `UsageError` naming --force unless `opts.force`.
 */
/**
 * The intensity scale and where it came from, as a reader says it: "0.5 (the input's _metadata.intensity_scale)",
 * "1 (the input states none, so 1 is used)"; a source this version does not know is shown as recorded.
 */
function intensityScaleHtml(scale: unknown, source: unknown): string {
  const why = source === 'absent (1)' ? 'the input states none, so 1 is used'
    : source === '_metadata.intensity_scale' ? "the input's _metadata.intensity_scale"
      : source === undefined ? 'source not recorded' : null;
  return `${valueHtml(scale)} (${why === null ? valueHtml(source) : esc(why)})`;
}

export async function buildReconstructionReport(dir: string, opts: ReconstructionReportOptions = {}): Promise<ReportResult> {
  if (typeof dir !== 'string' || dir === '') throw new UsageError(`\`dir\` ${String(dir)}: expected a path (the folder \`lsqml --out\` wrote)`);
  if (opts === null || typeof opts !== 'object') throw new UsageError(`options ${String(opts)}: expected an object`);
  checkOptionNames(opts, 'buildReconstructionReport', optionNames<ReconstructionReportOptions>({ force: true, input: true, onProgress: true, lockWaitMs: true, signal: true }));
  if (opts.input !== undefined && (typeof opts.input !== 'string' || opts.input === '')) {
    throw new UsageError(`\`input\` ${String(opts.input)}: expected the path of the file the reconstruction read`);
  }
  const signal = checkSignalOption(opts.signal);
  throwIfStopped(signal, 'report');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`\`dir\` ${dir}: no such directory`);
  const outDir = join(dir, 'report');
  const index = join(outDir, REPORT.index);
  const refuse = (): UsageError => new UsageError(`\`dir\` ${dir}: a report of this reconstruction exists (${index}) and is kept; pass \`force\` to replace it`);
  if (existsSync(index) && !opts.force) throw refuse();
  const rec = readReconstruction(dir);
  // `input` (its name since it is not always an NPZ), else `input_npz` (a folder written by an earlier version)
  const recorded = rec.run ? rec.run.input ?? rec.run.input_npz : undefined;
  const inputPath = typeof recorded === 'string' ? recorded : null;
  const patterns = await patternsOf(rec, dir, inputPath, opts.input);
  checkWritableDir(outDir, 'report directory'); // a file in its place, a read-only folder: one line naming it, as the study report says
  const made = missingDirs(outDir);
  mkdirSync(outDir, { recursive: true });
  try {
    return await withLock(join(outDir, REPORT.lock), 'report', 'report directory', () => buildInto(dir, outDir, rec, patterns, inputPath, opts, signal, refuse),
      { waitMs: opts.lockWaitMs ?? MERGE_WAIT_MS, ...(signal !== undefined ? { signal } : {}) });
  } catch (err) {
    removeEmptyDirs(made); // no report: the folder this call made, while empty (a stop, a full disk)
    if (!(err instanceof LockWaitAbortedError)) throw err;
    throw new StudyAbortedError('report', [], err.cause);
  }
}

/** The build under the report directory's lock (buildReconstructionReport). */
async function buildInto(dir: string, outDir: string, rec: Reconstruction, patterns: InputPatterns, inputPath: string | null,
  opts: ReconstructionReportOptions, signal: AbortSignal | undefined, refuse: () => UsageError): Promise<ReportResult> {
  const index = join(outDir, REPORT.index);
  if (existsSync(index) && !opts.force) throw refuse(); // another report was written meanwhile
  clearEndedBuilds(outDir);
  const build = newBuildDir(outDir);
  try {
    const imgDir = join(build, REPORT.images);
    try {
      mkdirSync(imgDir, { recursive: true });
    } catch (err) {
      throw writeFailed(imgDir, err); // a full disk (no inode left): named as report/img below
    }
    const img = new ImageDir(imgDir);
    const missing: string[] = [];
    const count = 9;
    let doneCount = 0;
    let t0 = performance.now();
    // the command that runs it again reads a settings file beside the images (img/lsqml-settings.json)
    const command = rerunCommand(rec.meta, rec.run, dir, join(resolve(outDir), REPORT.images, RERUN_SETTINGS), opts.input);
    // what the record would have said is not known when it is broken: the page says so rather than "records no …"
    const rerun = 'why' in command && rec.runBroken !== null ? { why: `${command.why.replace(`${LSQML_FOLDER.run} records no `, 'no ')} (${RUN_BROKEN})` } : command;
    if (!('why' in rerun)) writeFileAtomic(join(imgDir, RERUN_SETTINGS), rerun.settings);
    const secs = await sections(rec, img, missing, patterns, inputPath, rerun, (title) => {
      const seconds = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const d = ++doneCount;
      opts.onProgress?.({ done: d, count, section: title, seconds, message: `report: ${d}/${count} ${title} (${seconds.toFixed(1)} s)` });
    }, signal, join(outDir, REPORT.images));
    // a secondary file that is there but broken: first on the page, as in the study report (none: the page is as it was)
    const broken: BrokenFile[] = rec.runBroken !== null ? [{ file: join(dir, LSQML_FOLDER.run), reason: rec.runBroken }] : [];
    const brokenPart = brokenSection(broken, "of this reconstruction's folder");
    if (brokenPart !== null) secs.unshift(brokenPart);
    const file = str(isRecord(rec.meta.input) ? rec.meta.input.file : null);
    // the folder by its absolute path, as the command below names it, whatever path the caller gave
    const subtitle = `${resolve(dir)} · ${file ?? 'input not recorded'} · generated ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`;
    writeFileAtomic(join(build, REPORT.index), page(`ptychostudy — reconstruction report${file ? `: ${file}` : ''}`, subtitle, secs));
    const finalImg = join(outDir, REPORT.images);
    moveBuildIn(build, outDir);
    return { indexPath: index, images: img.files.map((f) => join(finalImg, basename(f))), missing, broken, figures: img.drawn as DrawnFigure[] };
  } catch (err) {
    throw namedInPlace(err, build, outDir); // a full disk: the image or page as it was to be named
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}
