/**
 * What every section builder shares (the image directory, the context with its "not available" notes,
 * number formats) and the sections made of the hub's records: study design, metrics, metric charts,
 * Phase F runs, skipped and failed jobs, software versions. The picture sections are in
 * data-section.ts, image-sections.ts and curve-sections.ts. Whatever is missing is shown as "not
 * available" with the reason (and listed in `missing`); nothing missing makes the report fail. A file that is there
 * but cannot be read is "Broken" where its part would be and listed once in `broken` (the page's "Broken evidence"
 * section; `report` exits 1), never shown as absent.
 */
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFailed, writeFileAtomic } from '../../files/atomic.js';
import { MAX_RECORD_BYTES, readBytesAtMost, readJsonTextAtMost } from '../../files/bounded-read.js';
import { InputError } from '../../errors.js';
import { WAVELENGTH_FORMULA, type Radiation } from '../../data/geometry.js';
import { RADIATION_WHY } from '../../data/measured.js';
import { HIGHER_IS_BETTER, METRIC_KEYS, type MetricKey } from '../../metrics/index.js';
import { pngWidth, readableWidth, smallestSvgText, svgWidth, type PanelRecord } from '../../report/figure.js';
import { brokenNote, esc, figure, grid, notAvailable, table, type Cell, type Section } from '../../report/html.js';
import { doseLabel, formatLoss, formatNumber } from '../../report/ticks.js';
import { packageVersion } from '../../version.js';
import { HUB, PHASE_F, PHASE_G, REPORT } from '../hub/layout.js';
import { formatLength } from '../../report/scalebar.js';
import { aggregateScope, CHART_METRICS, frcCyclesPerPixel, frcMean, frcMeansNote, frcSide, isFrcMetric, metricLabel, metricValue, PHASE_UNIT, type FrcMetric, type MetricsSummary } from '../hub/metrics-summary.js';
import type { ReportPlan } from './plan.js';

/**
 * A figure the report drew itself, what each of its panels showed (none for a chart or the scan positions) and its
 * smallest text in the PNG's pixels (how large it shows or prints: that times the width it is drawn at over the PNG's
 * width). Every PNG the report draws records it; the figures it copies from the hub (Phase G's comparisons and
 * charts, Phase F's reconstructions) do not.
 */
export interface DrawnFigure { file: string; panels: PanelRecord[]; smallestTextPx?: number }

/** Error codes of a copy that failed on the side it writes (no space, a quota, a file size limit, the device). */
const WRITE_FAILURES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EIO', 'EROFS']);

/** Whether anything is at `path` — a dangling link too, which `copy` then refuses as broken rather than skip as absent. */
export function present(path: string): boolean {
  try { return lstatSync(path, { throwIfNoEntry: false }) !== undefined; } catch { return false; }
}

/** The largest figure the report copies from a hub: 64 MiB (a Phase G comparison PNG is ~100 kB). */
export const MAX_COPIED_IMAGE_BYTES = 64 << 20;

/** The 8 bytes every PNG starts with, and its IEND chunk (length 0, type, CRC), the last 12 bytes of every whole PNG. */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_IEND = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/** Images written next to the page: `img/<name>`. */
export class ImageDir {
  readonly files: string[] = [];
  readonly drawn: DrawnFigure[] = [];
  /** By the page's `src`: the narrowest CSS width at which the image's smallest text shows at 8 CSS px (`readableWidth`). */
  private readonly readable = new Map<string, number>();
  constructor(readonly dir: string) {}
  write(name: string, bytes: Buffer | string, panels?: PanelRecord[], smallestTextPx?: number): string {
    writeFileAtomic(join(this.dir, name), bytes);
    this.files.push(join(this.dir, name));
    if (panels || smallestTextPx !== undefined) this.drawn.push({ file: name, panels: panels ?? [], ...(smallestTextPx !== undefined ? { smallestTextPx } : {}) });
    const src = `${REPORT.images}/${name}`;
    if (typeof bytes !== 'string') this.setReadable(src, readableWidth(pngWidth(bytes), smallestTextPx));
    return src;
  }
  /** Records the width at which image `src` is readable (`readableWidth`: its width and smallest text, in one unit); null: unknown. */
  setReadable(src: string, width: number | null): void {
    if (width !== null) this.readable.set(src, width);
  }
  /** The narrowest CSS width at which image `src` shows its smallest text at 8 CSS px; null when not known. */
  readableWidth(src: string): number | null {
    return this.readable.get(src) ?? null;
  }
  /** `figure` (report/html.ts) of image `src`, never drawn narrower on a screen than its `readableWidth` where that is known. */
  figure(src: string, caption: string | { html: string }, alt?: string, width?: number): string {
    return figure(src, caption, alt, width, this.readableWidth(src));
  }
  /**
   * Copies a figure of the hub (a Phase G PNG or SVG) next to the page. Only a regular file of at most
   * MAX_COPIED_IMAGE_BYTES is copied (`readBytesAtMost`): a named pipe in its place made `copyFileSync` wait for a
   * writer for ever, a directory ended the report with Node's EISDIR (exit 1), a link to /dev/zero was copied as an
   * empty image, and a sparse 100 GiB PNG was copied byte for byte.
   */
  copy(name: string, from: string): string {
    return this.put(name, ImageDir.read(from));
  }
  /** The bytes of a hub figure (`copy`), or an error naming it when it is no regular file or over the bound. */
  static read(from: string): Buffer {
    const bytes = readBytesAtMost(from, MAX_COPIED_IMAGE_BYTES);
    if (bytes === null) throw new InputError(`${from}: more than ${MAX_COPIED_IMAGE_BYTES} bytes; a figure the report copies has at most ${MAX_COPIED_IMAGE_BYTES}`);
    // a truncated or overwritten figure would be a broken image on the page: a PNG must start with its signature and
    // end with its IEND chunk, an SVG must hold one <svg> element to its end (no decoding: only what a cut or a
    // foreign file breaks)
    if (from.endsWith('.png') && !(bytes.subarray(0, 8).equals(PNG_SIGNATURE) && bytes.subarray(-12).equals(PNG_IEND))) {
      throw new InputError(`${from}: expected a whole PNG image (signature first, IEND chunk last); found ${bytes.length} bytes that are not one (truncated or overwritten)`);
    }
    if (from.endsWith('.svg')) {
      const text = bytes.toString('utf8');
      if (!/<svg[\s>]/.test(text) || !/<\/svg>\s*$/.test(text)) throw new InputError(`${from}: expected a whole SVG image (<svg …> to </svg>); found ${bytes.length} bytes that are not one (truncated or overwritten)`);
    }
    return bytes;
  }
  /** Writes the bytes `read` returned as `img/<name>` (a write that fails stops the report: it is no hub file's fault). */
  put(name: string, bytes: Buffer): string {
    try {
      writeFileSync(join(this.dir, name), bytes);
    } catch (err) {
      // a full disk or a quota: one line naming the image being written (Node's names the two paths, the build's temporary one)
      if (WRITE_FAILURES.has((err as NodeJS.ErrnoException).code ?? '')) throw writeFailed(join(this.dir, name), err);
      throw err;
    }
    this.files.push(join(this.dir, name));
    return `${REPORT.images}/${name}`;
  }
}

/** A hub file that is there but could not be read (not an absent one), and why. */
export interface BrokenFile { file: string; reason: string }

/** What every section builder gets: the plan, the image directory, `na` (a "not available" note, also listed in `missing`) and `bad` (a "broken" note, the file also listed in `broken`). */
export interface ReportContext {
  plan: ReportPlan;
  img: ImageDir;
  na: (what: string) => string;
  missing: string[];
  /**
   * A file that is there but broken: listed once in `broken` (and in the page's "Broken evidence" section) with
   * the reason, and the note that stands where its part would have been ("Broken: WHAT: FILE: REASON").
   */
  bad: (what: string, file: string, err: unknown) => string;
  broken: BrokenFile[];
}

/** The reason of a reader's error, without the file's path that most readers put first. */
export function brokenReason(file: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(file) ? message.slice(file.length).replace(/^:\s*/, '') : message;
}

/** Adds `file` to `broken` (once: a file read by two sections is one broken file) and returns its reason. */
export function addBroken(broken: BrokenFile[], file: string, err: unknown): string {
  const reason = brokenReason(file, err);
  if (!broken.some((b) => b.file === file)) broken.push({ file, reason });
  return reason;
}

export function reportContext(plan: ReportPlan, img: ImageDir): ReportContext {
  const missing: string[] = [];
  const broken: BrokenFile[] = [...plan.broken];
  return {
    plan, img, missing, broken,
    na: (what) => { missing.push(what); return notAvailable(what); },
    bad: (what, file, err) => brokenNote(`${what}: ${file}: ${addBroken(broken, file, err)}`),
  };
}

/**
 * The page's "Broken evidence" section: every hub file (`of`: "of this reconstruction's folder" for the report of one
 * reconstruction) that is there but could not be read, with the reason (each part of the page it would have shown
 * says "Broken" instead). Null when there is none, so that a healthy hub's page is as it was.
 */
export function brokenSection(broken: readonly BrokenFile[], of = 'of the hub'): Section | null {
  if (broken.length === 0) return null;
  return {
    id: 'broken', title: 'Broken evidence',
    body: `<p class="na-note"><strong>${broken.length === 1 ? 'One file' : `${broken.length} files`} ${esc(of)} ${broken.length === 1 ? 'is' : 'are'} there but could not be read.</strong> ` +
      'What ' + (broken.length === 1 ? 'it' : 'they') + ' would have shown is marked "Broken" below; the rest of the page is drawn from the other files. ' +
      'Repair or remove each file (an absent one is shown as not available) and run the report again.</p>\n' +
      table(['file', 'why it could not be read'], broken.map((b): Cell[] => [{ html: `<code>${esc(b.file)}</code>`, cls: 'wrap' }, { html: esc(b.reason), cls: 'wrap' }]),
        { caption: 'Broken evidence (files that are there but could not be read)' }),
  };
}

/** A hub figure copied next to the page (its relative path), or the "Broken" note when it is there but cannot be copied. */
export function copyOrBroken(ctx: ReportContext, what: string, name: string, from: string): string | { note: string } {
  let bytes: Buffer;
  try {
    bytes = ImageDir.read(from);
  } catch (err) {
    return { note: ctx.bad(what, from, err) };
  }
  return ctx.img.put(name, bytes);
}

export function tryOr<T>(fn: () => T, onError: (msg: string) => void): T | null {
  try {
    return fn();
  } catch (err) {
    onError(err instanceof Error ? err.message : String(err));
    return null;
  }
}

export { doseLabel };

/** A fixed-decimals number, or — . */
export function fmt(v: number | null | undefined, d = 4): string {
  if (typeof v !== 'number' || Number.isNaN(v)) return '—';
  return Number.isFinite(v) ? v.toFixed(d) : v > 0 ? '∞' : '−∞';
}

/** A percentage of a fraction, or — . */
export function pct(v: number | null | undefined, d = 1): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(d)} %` : '—';
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Settings and design keys whose numbers are doses (photons per pattern): written as `doseLabel` writes a dose. */
const DOSE_KEYS = new Set(['doses', 'dose_list', 'dose']);

/**
 * A settings value as readable HTML: numbers formatted (those of a dose key, `doses` or `dose_list`, as the rest
 * of the report writes a dose: 1e3, not 1000), lists joined, objects as "key value" pairs. `key` names the value.
 */
export function valueHtml(v: unknown, key?: string): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return esc(key !== undefined && DOSE_KEYS.has(key) ? doseLabel(v) : formatNumber(v));
  if (typeof v === 'string' || typeof v === 'boolean') return esc(String(v));
  if (Array.isArray(v)) return v.every(isScalar) ? v.map((x) => valueHtml(x, key)).join(', ') : `[${v.map((x) => valueHtml(x, key)).join('; ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return '—';
    return `<span class="kv">${entries.map(([k, x]) => `<span><b>${esc(k)}</b> ${valueHtml(x, k)}</span>`).join(' ')}</span>`;
  }
  return esc(String(v));
}

/**
 * The energy of measured data as the report of one reconstruction (At a glance) and
 * the hub report's Data section state it: what it is the energy of, in eV, keV or MeV, the
 * wavelength and the formula with where it came from (`_metadata.geometry` radiation, energy_eV, wavelength_m,
 * wavelength_formula; a record without `radiation` is of a photon energy, the only one read then); null without one.
 */
export function energyFact(geometry: Record<string, unknown> | null): string | null {
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const ev = geometry ? num(geometry.energy_eV) : null, lambda = geometry ? num(geometry.wavelength_m) : null;
  if (geometry === null || ev === null || lambda === null || !(ev > 0) || !(lambda > 0)) return null;
  const radiation = geometry.radiation === 'electron' ? 'electron' : 'photon';
  const [f, unit] = ev >= 1e6 ? [1e6, 'MeV'] : ev >= 1e3 ? [1e3, 'keV'] : [1, 'eV'];
  const formula = typeof geometry.wavelength_formula === 'string' ? geometry.wavelength_formula : null;
  const energy = `${Number((ev / f).toPrecision(6))} ${unit}`;
  // the formula line as the data reader writes it (measured.ts radiationText): "<radiation>: <formula> (<what E is>), <why>"
  const lead = `${radiation}: ${WAVELENGTH_FORMULA[radiation]}, `;
  if (formula !== null && formula.startsWith(lead)) {
    const why = formula.slice(lead.length);
    const what = radiation === 'electron' ? 'an electron\'s kinetic energy' : 'a photon energy';
    const reason = why === RADIATION_WHY.default ? `the file states no radiation, so ${what} (reconstruction.radiation, --radiation electron, says otherwise)`
      : why === RADIATION_WHY.format ? `${what}, as PtyPy stores it in meta/energy (for electron data, the photon energy of the same wavelength)`
        : `${what}, ${why}`;
    return `${energy}: ${reason}; wavelength ${formatLength(lambda)} by ${FORMULA_ALONE[radiation]}`;
  }
  return `${radiation === 'electron' ? 'electron (kinetic energy)' : 'photon'} ${energy}, wavelength ${formatLength(lambda)}` +
    (formula !== null ? `; ${formula}` : '');
}

/** Each radiation's wavelength formula without the words on what E is (energyFact says them once). */
const FORMULA_ALONE: Readonly<Record<Radiation, string>> = {
  photon: 'λ = h·c/E',
  electron: 'λ = h/√(2·m0·E·(1 + E/(2·m0·c²))) (relativistic; m0 CODATA 2018)',
};

/** What an unset (null) setting of design.json means, by its key; any other null is "not set". */
const UNSET: Record<string, string> = {
  n_images: 'not set: n_positions of the preset, or the base NPZ\'s positions',
  base_npz: 'none: the synthetic object and probe',
};

/** Rows (key, value) of an object: nested objects of scalars stay one row, deeper ones are flattened with dotted keys. */
export function settingRows(o: Record<string, unknown>, prefix = ''): Cell[][] {
  return Object.entries(o).flatMap(([k, v]): Cell[][] => {
    const key = `${prefix}${k}`;
    if (v === null) return [[key, { html: esc(UNSET[k] ?? 'not set'), cls: 'wrap' }]];
    if (v && typeof v === 'object' && !Array.isArray(v) && !Object.values(v).every((x) => isScalar(x) || (Array.isArray(x) && x.every(isScalar)))) {
      return settingRows(v as Record<string, unknown>, `${key}.`);
    }
    return [[key, { html: valueHtml(v, k), cls: 'wrap' }]];
  });
}

/**
 * `settingRows` with a third cell, where each setting came from (a recorded `settings_origin`: `flag --epochs`, `file
 * /data/study.yaml`, `preset quick`; `default` for a setting it does not list). `group` is the settings group the rows'
 * names are in (`reconstruction.` for a reconstruction's own settings, '' for a study's).
 */
export function settingRowsWithOrigin(o: Record<string, unknown>, origin: Record<string, unknown>, group = ''): Cell[][] {
  return settingRows(o).map((row) => {
    const path = `${group}${String(row[0])}`;
    const own = origin[path];
    // a row of a group shown whole (probePlan: start 5, stop null, stride 1): each of its settings given, by name
    const under = Object.entries(origin).filter(([p, w]) => p.startsWith(`${path}.`) && typeof w === 'string')
      .map(([p, w]) => `${p.slice(path.length + 1)}: ${String(w)}`);
    const from = typeof own === 'string' ? own : under.length > 0 ? under.join('; ') : 'default';
    return [...row, { html: esc(from), cls: 'wrap' }];
  });
}

function summaryNa(ctx: ReportContext): string {
  const { plan } = ctx;
  const file = join(plan.roots.g, PHASE_G.summaryJson);
  return plan.summaryError ? ctx.bad('Phase G metrics', file, plan.summaryError) : ctx.na(`Phase G metrics: ${file} not found (run ptychostudy compare)`);
}

/** Version of an installed dependency: its package.json in the nearest node_modules above this file. */
export function depVersion(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'node_modules', ...name.split('/'), 'package.json');
    if (existsSync(p)) {
      try {
        return (JSON.parse(readJsonTextAtMost(p, MAX_RECORD_BYTES, 'a package.json')) as { version?: string }).version ?? 'unknown';
      } catch {
        return 'unknown';
      }
    }
    const up = dirname(dir);
    if (up === dir) return 'not installed';
    dir = up;
  }
}

/** Study design: design.json (one table per group), run.json's settings where they differ, the phases. */
export function designSection(ctx: ReportContext): Section {
  const { plan, na, bad } = ctx;
  const { hub } = plan;
  const parts: string[] = [];
  const design = plan.design;
  let designSettings: unknown = undefined;
  if (design === null) parts.push(na(`study design: ${join(hub, HUB.design)} not found`));
  else if ('error' in design) parts.push(bad('study design', join(hub, HUB.design), design.error));
  else if (!design.value || typeof design.value !== 'object' || Array.isArray(design.value)) parts.push(bad('study design', join(hub, HUB.design), 'expected a JSON object'));
  else {
    const obj = design.value as Record<string, unknown>;
    designSettings = obj.settings;
    const loose: Cell[][] = [];
    for (const [group, v] of Object.entries(obj)) {
      // the preset describes its own defaults (doses, epochs, …); flags and settings files may have changed them
      const caption = group === 'preset' && obj.settings ? 'design.json: preset (its own defaults; the values this study ran with are under settings)' : `design.json: ${group}`;
      if (v && typeof v === 'object' && !Array.isArray(v)) parts.push(table(['parameter', 'value'], settingRows(v as Record<string, unknown>), { caption, cls: 'settings' }));
      else loose.push([group, { html: valueHtml(v, group), cls: 'wrap' }]);
    }
    if (loose.length) parts.push(table(['parameter', 'value'], loose, { caption: 'design.json' }));
  }
  const run = plan.run;
  if (run && 'error' in run) parts.push(bad('settings and phases of the run', join(hub, HUB.runState), run.error));
  if (run && 'value' in run && run.value && typeof run.value === 'object') {
    const r = run.value as { settings?: Record<string, unknown>; study_settings?: unknown; settings_origin?: unknown; phases?: Record<string, Record<string, unknown>>; status?: string };
    if (r.settings && JSON.stringify(r.settings) !== JSON.stringify(designSettings)) {
      parts.push(table(['setting', 'value'], settingRows(r.settings), { caption: 'run.json settings' }));
    }
    // every setting the study ran with (simulation, overlap, reconstruction…), and the command that runs it again;
    // not `execution` (executor, jobs, threads, SLURM options): it changes no result, and a page that showed it would
    // differ between a local and a SLURM run of one study, or after a resume with other --jobs (run.json records it)
    const all = r.study_settings;
    if (all && typeof all === 'object' && !Array.isArray(all)) {
      const hasFile = existsSync(join(hub, HUB.settings));
      const { execution: _execution, ...shown } = all as Record<string, unknown>;
      // where each came from, when run.json records it (a flag, the settings file, the preset; the rest: default)
      const origin = r.settings_origin !== null && typeof r.settings_origin === 'object' && !Array.isArray(r.settings_origin) ? r.settings_origin as Record<string, unknown> : null;
      parts.push(table(origin === null ? ['setting', 'value'] : ['setting', 'value', 'from'], origin === null ? settingRows(shown) : settingRowsWithOrigin(shown, origin),
        { caption: `every setting of the study that shapes its results (run.json study_settings${hasFile ? ', as settings.json' : ''}${origin === null ? '' : '; from: run.json settings_origin'}; how it was executed — executor, jobs, threads — is in run.json)`, cls: 'settings' }));
      if (hasFile) {
        parts.push(`<p class="small">To run this study again into a new hub, with the same settings and seeds: <code>ptychostudy run --config ${esc(join(hub, HUB.settings))} --out NEW_HUB</code>. The per-job commands of the reconstructions are in <code>phase_f/reconstruction_manifest.json</code> (<code>command</code>).</p>`);
      }
    }
    if (r.phases) {
      parts.push(table(['phase', 'status', 'seconds', 'detail'], Object.entries(r.phases).map(([k, p]) => [
        k,
        k === 'report' && p.status === 'running' ? 'writing this page' : valueHtml(p.status),
        typeof p.seconds === 'number' ? { html: fmt(p.seconds, 1), cls: 'num' } : null,
        { html: valueHtml(p.detail), cls: 'wrap' },
      ]), { caption: `phases (run.json, study status: ${r.status ?? 'unknown'})` }));
    }
  }
  return { id: 'design', title: 'Study design', body: parts.join('\n') };
}

/** The unit of a reconstruction's loss: that of the intensities it fitted. */
export const LOSS_UNIT = 'photons for a dataset NPZ ((diffraction · intensity_scale)²), the values as stored for a CXI or PtyPy file';

/** Decimals of each metric in the metrics tables (rows and means alike). */
const DECIMALS: Record<MetricKey, number> = { mae: 4, mse: 5, psnr: 2, psnr_255: 2, ssim: 4, ms_ssim: 4, frc50: 1, frc1over7: 1 };

/** Decimals of the FRC means in cycles per pixel. */
const FRC_FREQ_DECIMALS = 3;

/** Metrics: every row of the metrics summary, per-model means, definitions. */
export function metricsSection(ctx: ReportContext): Section {
  const { plan } = ctx;
  const { summary } = plan;
  const parts: string[] = [];
  if (!summary) parts.push(summaryNa(ctx));
  else {
    parts.push(`<p class="small">Every model is registered and phase-aligned to the same ground truth in the same way (${esc(summary.definitions.alignment ?? '')}). Each cell is <b>amplitude / phase</b>. Amplitudes are those of the object's transmission |O| (no unit), phases are in radians. FRC50 and FRC1/7 are spatial frequencies in cycles per pixel: each job's ring index (recorded in metrics_summary.json; the cell's tooltip gives it) over the side n of its compared square, which differs between views and jobs, so a ring is not one frequency from row to row; the <a href="#frc">Resolution</a> section gives them as half periods in pixels, and their means are in cycles per pixel too (<a href="#frc-means">below</a>). Each row is one reconstruction (one seed, one noise realisation): no spread over repeats is estimated; the train and test rows of a dose and view (two halves of the object, reconstructed separately) give an idea of it.</p>`);
    const pair = (r: MetricsSummary['rows'][number], m: MetricKey, d: number): Cell => r.status === 'ok'
      ? { html: `${fmt(metricValue(r, m, 'amplitude'), d)} / ${fmt(metricValue(r, m, 'phase'), d)}`, cls: 'num' } : null;
    // FRC50 and FRC1/7: ring / n (cycles per pixel), one axis for squares of every side; the ring and n in the tooltip
    const frcPair = (r: MetricsSummary['rows'][number], m: FrcMetric): Cell => {
      if (r.status !== 'ok') return null;
      const n = frcSide(r);
      const rings = `ring ${fmt(metricValue(r, m, 'amplitude'), DECIMALS[m])} / ${fmt(metricValue(r, m, 'phase'), DECIMALS[m])}${n === null ? '' : ` of the ${n}-px square`}`;
      return { html: `<span title="${esc(rings)}">${fmt(frcCyclesPerPixel(r, m, 'amplitude'), FRC_FREQ_DECIMALS)} / ${fmt(frcCyclesPerPixel(r, m, 'phase'), FRC_FREQ_DECIMALS)}</span>`, cls: 'num' };
    };
    // a row's reason (a failure's, or an ok row's warning) goes under the table, its cell a short word and a mark
    // linked to it (the reason also in the mark's title): a sentence in the cell wrapped the row over many lines
    const notes: string[] = [];
    const noted = (r: MetricsSummary['rows'][number], text: string): string => {
      const k = notes.length + 1;
      notes.push(`<li id="metrics-note-${k}">${esc(`${doseLabel(r.dose)} ${r.view} ${r.split}, ${r.model}: ${text}`)}</li>`);
      return `<sup><a href="#metrics-note-${k}" title="${esc(text)}">${k}</a></sup>`;
    };
    const rows: Cell[][] = summary.rows.map((r) => [
      doseLabel(r.dose), r.view, r.split, r.model,
      r.status !== 'ok' ? { html: `${esc(r.status)}${r.error ? noted(r, `${r.status}: ${r.error}`) : ''}`, cls: 'bad' }
        // an ok row's error is a warning: a registration that failed, so the unregistered image was scored
        : r.error ? { html: `<span class="good">ok</span>, warning${noted(r, `scored with a warning: ${r.error}`)}` } : { html: 'ok', cls: 'good' },
      pair(r, 'mae', DECIMALS.mae), pair(r, 'mse', DECIMALS.mse), pair(r, 'psnr', DECIMALS.psnr), pair(r, 'ssim', DECIMALS.ssim), pair(r, 'ms_ssim', DECIMALS.ms_ssim),
      frcPair(r, 'frc50'), frcPair(r, 'frc1over7'),
      r.status === 'ok' ? `${fmt(r.values.registration_offset_dy, 2)}, ${fmt(r.values.registration_offset_dx, 2)}` : null,
      typeof r.values.computation_time_s === 'number' ? { html: fmt(r.values.computation_time_s, 2), cls: 'num' } : null,
    ]);
    parts.push(table(['dose', 'view', 'split', 'model', 'status', `MAE (phase: ${PHASE_UNIT.mae})`, `MSE (phase: ${PHASE_UNIT.mse})`, 'PSNR (dB)', 'SSIM', 'MS-SSIM', 'FRC50 (cycles/px)', 'FRC1/7 (cycles/px)', 'offset dy, dx (px)', 'reconstruction time (s)'], rows,
      { caption: 'All comparisons (one row per dose × view × split × model; amplitude / phase)', empty: 'metrics_summary.json has no rows', sortable: true, pairs: [5, 6, 7, 8, 9, 10, 11], groupBy: 0 }));
    if (notes.length) parts.push(`<p class="small">Notes of the status column (a warned row's scores are of the image as its warning says, not of an aligned one):</p>\n<ol class="small notes">\n${notes.join('\n')}\n</ol>`);
    const agg: Cell[][] = [];
    const frcNotes: string[] = [];
    for (const model of summary.models) {
      const a = summary.aggregate_metrics[model] ?? {};
      // FRC50 and FRC1/7 are ring indices on each job's own square: averaged as frequencies (ring / n), from the rows,
      // whatever the summary's aggregate holds (one written before averaged the rings themselves)
      const scored = summary.rows.filter((r) => r.model === model && r.status === 'ok');
      agg.push([model, a.mae?.n ?? null, ...METRIC_KEYS.map((m): Cell => isFrcMetric(m)
        ? { html: `${fmt(frcMean(scored, m, 'amplitude').cyclesPerPixel, FRC_FREQ_DECIMALS)} / ${fmt(frcMean(scored, m, 'phase').cyclesPerPixel, FRC_FREQ_DECIMALS)}`, cls: 'num' }
        : { html: `${fmt(a[m]?.mean_amplitude, DECIMALS[m])} / ${fmt(a[m]?.mean_phase, DECIMALS[m])}`, cls: 'num' })]);
      if (scored.length) frcNotes.push(`${summary.models.length > 1 ? `${esc(model)}: ` : ''}${esc(frcMeansNote(scored))}.`);
    }
    parts.push(table(['model', 'jobs scored', ...METRIC_KEYS.map((m) => `${metricLabel(m)}${isFrcMetric(m) ? ' (cycles/px)' : PHASE_UNIT[m] ? ` (phase: ${PHASE_UNIT[m]})` : ''}`)], agg, { caption: 'Means of each model over its scored jobs (every dose, view and split together, so not the score of any one of them; amplitude / phase)', empty: 'no model has results' }));
    if (agg.length) parts.push(`<p class="small">Averaged: ${summary.models.map((m) => `${esc(m)}, ${esc(aggregateScope(summary, m))}`).join('. ')}.</p>`);
    if (frcNotes.length) parts.push(`<p class="small" id="frc-means">FRC50 and FRC1/7 means are spatial frequencies in cycles per pixel, not ring indices: ${frcNotes.join(' ')}</p>`);
    parts.push(`<p class="small">Higher is better: ${METRIC_KEYS.filter((m) => HIGHER_IS_BETTER[m]).map((m) => esc(metricLabel(m))).join(', ')}. Lower is better: ${METRIC_KEYS.filter((m) => !HIGHER_IS_BETTER[m]).map((m) => esc(metricLabel(m))).join(', ')}.</p>`);
    const defs = Object.entries(summary.definitions).map(([k, v]): Cell[] => [k, { html: esc(v), cls: 'wrap' }]);
    parts.push(table(['term', 'definition'], defs, { caption: 'Definitions' }));
  }
  return { id: 'metrics', title: 'Metrics', body: parts.join('\n') };
}

/** Charts: metric against dose (Phase G's charts, PNG linked to full size, SVG beside it). */
export function chartsSection(ctx: ReportContext): Section {
  const { plan, na } = ctx;
  const { roots } = plan;
  const figs: string[] = [];
  const broken: string[] = [];
  for (const c of CHART_METRICS) {
    const png = join(roots.g, PHASE_G.charts, `${c.metric}.png`);
    const svg = join(roots.g, PHASE_G.charts, `${c.metric}.svg`);
    if (!present(png)) continue;
    const src = copyOrBroken(ctx, `chart of ${metricLabel(c.metric)}`, `chart_${c.metric}.png`, png);
    if (typeof src !== 'string') { broken.push(src.note); continue; }
    const svgSrc = present(svg) ? copyOrBroken(ctx, `chart of ${metricLabel(c.metric)} (SVG)`, `chart_${c.metric}.svg`, svg) : null;
    if (svgSrc !== null && typeof svgSrc !== 'string') broken.push(svgSrc.note);
    // its smallest text, from the SVG it was drawn from (the PNG is that SVG zoomed)
    if (typeof svgSrc === 'string') {
      const text = readFileSync(join(ctx.img.dir, `chart_${c.metric}.svg`), 'utf8');
      ctx.img.setReadable(src, readableWidth(svgWidth(text), smallestSvgText(text)));
    }
    const svgNote = typeof svgSrc === 'string' ? ` · <a href="${esc(svgSrc)}">SVG</a>` : '';
    // FRC50 and FRC1/7 are drawn as ring / n: the side n of the compared square differs between views and jobs
    const ring = isFrcMetric(c.metric)
      ? '; the value is a spatial frequency in cycles per pixel, each job\'s ring index over the side n of its compared square (n differs between views and jobs, so rings would not be one axis; at most 0.5, Nyquist; the <a href="#frc">Resolution</a> section gives half periods in pixels)' : '';
    const unit = PHASE_UNIT[c.metric] ? ` (phase in ${PHASE_UNIT[c.metric]})` : '';
    figs.push(ctx.img.figure(src, { html: `${esc(metricLabel(c.metric))} against dose (${c.better} is better); colour = view, dash = model; columns amplitude, phase${esc(unit)}${ring}; each point is one reconstruction (no repeats, so no error bars)${svgNote}` }));
  }
  const parts = figs.length ? [grid(figs, 'pair')] : broken.length ? [] : [na(`charts: none in ${join(roots.g, PHASE_G.charts)}`)];
  parts.push(...broken);
  return { id: 'charts', title: 'Metric charts', body: parts.join('\n') };
}

/** Reconstruction runs: every job of the Phase F manifest. */
export function phaseFSection(ctx: ReportContext): Section {
  const { plan, na, bad } = ctx;
  const { roots } = plan;
  const parts: string[] = [];
  const { manifest } = plan;
  if (plan.manifestError !== null) parts.push(bad('Phase F manifest', join(roots.f, PHASE_F.manifest), plan.manifestError));
  if (plan.skipSummaryError !== null) parts.push(bad('Phase F skip summary', join(roots.f, PHASE_F.skipSummary), plan.skipSummaryError));
  if (manifest) {
    const rows: Cell[][] = manifest.execution_results.map((r) => [
      doseLabel(r.dose), r.view, r.split,
      r.status === 'success' ? { html: 'success', cls: 'good' } : r.status === 'failed' ? { html: 'failed', cls: 'bad' } : r.status,
      r.epochs_run, typeof r.final_loss === 'number' ? { html: esc(formatLoss(r.final_loss)), cls: 'num' } : null, r.n_positions,
      { html: fmt(r.seconds, 1), cls: 'num' }, r.selection_strategy ?? null, r.error === null ? null : { html: esc(r.error), cls: 'wrap' },
    ]);
    parts.push(table(['dose', 'view', 'split', 'status', 'epochs', 'final loss', 'positions', 'seconds', 'selection', 'error'], rows,
      { caption: 'Reconstruction jobs (reconstruction_manifest.json)', empty: 'the Phase F manifest has no results', sortable: true, groupBy: 0 }));
    if (rows.length) parts.push(`<p class="small">final loss: the loss of the last epoch (the mean over its minibatches of the mean squared difference between modelled and measured diffraction amplitudes, as in the <a href="#loss">Convergence</a> section; per detector pixel, in ${esc(LOSS_UNIT)}); seconds: wall time of the reconstruction; positions: scan positions reconstructed; selection: how the view chose them (full: every position of the split; greedy: positions kept at least the view's spacing threshold apart, docs/overlap.md); error: why a failed job failed.</p>`);
  } else if (parts.length === 0) parts.push(na(`Phase F manifest: ${join(roots.f, 'reconstruction_manifest.json')} not found`));
  return { id: 'phase-f', title: 'Reconstruction runs', body: parts.join('\n') };
}

/** Skipped and failed jobs of Phases F and G, with the reasons. */
export function skippedSection(ctx: ReportContext): Section {
  const { plan, na } = ctx;
  const { summary, manifest, skipSummary } = plan;
  const rows: Cell[][] = [];
  const reason = (s: string): Cell => ({ html: esc(s), cls: 'wrap' });
  for (const s of summary?.skipped_jobs ?? []) rows.push([doseLabel(s.dose), s.view, s.split, 'Phase G (compare)', reason(s.reason)]);
  for (const r of summary?.rows ?? []) if (r.status !== 'ok') rows.push([doseLabel(r.dose), r.view, r.split, `Phase G, model ${r.model}`, reason(`${r.status}: ${r.error ?? ''}`)]);
  for (const s of skipSummary?.skipped_jobs ?? []) rows.push([doseLabel(s.dose), s.view, s.split, 'Phase F (reconstruct)', reason(s.reason)]);
  for (const r of manifest?.execution_results ?? []) if (r.status === 'failed') rows.push([doseLabel(r.dose), r.view, r.split, 'Phase F (reconstruct)', reason(`failed: ${r.error ?? `return code ${r.returncode}`}`)]);
  // a list read from a broken file is not known to be empty: said so (the file is in Broken evidence)
  const unread = [plan.summaryError !== null ? join(plan.roots.g, PHASE_G.summaryJson) : null, plan.manifestError !== null ? join(plan.roots.f, PHASE_F.manifest) : null,
    plan.skipSummaryError !== null ? join(plan.roots.f, PHASE_F.skipSummary) : null].filter((f): f is string => f !== null);
  const brokenLists = unread.map((f) => ctx.bad('skipped and failed jobs it lists', f, plan.broken.find((b) => b.file === f)?.reason ?? 'could not be read')).join('\n');
  let body = rows.length === 0
    ? `<p>${summary || manifest ? (unread.length ? 'No job of the files that could be read was skipped or failed.' : 'No job was skipped or failed.') : ''}</p>${summary || manifest || unread.length ? '' : na('skip lists: neither Phase F nor Phase G evidence was found')}`
    : table(['dose', 'view', 'split', 'phase', 'reason'], rows, { caption: 'Skipped or failed jobs', sortable: true });
  // scored, but not as the others were: a registration that failed leaves the unregistered image scored
  const warned = (summary?.rows ?? []).filter((r) => r.status === 'ok' && r.error);
  if (warned.length) {
    body += `\n${table(['dose', 'view', 'split', 'model', 'warning'], warned.map((r) => [doseLabel(r.dose), r.view, r.split, r.model, reason(r.error ?? '')]),
      { caption: 'Scored with a warning (their scores, in the Metrics table and the charts, are of the image as the warning says, not of an aligned one)' })}`;
  }
  if (brokenLists) body = `${brokenLists}\n${body}`;
  return { id: 'skipped', title: 'Skipped and failed jobs', body };
}

/** Software versions. */
export function softwareSection(ctx: ReportContext): Section {
  const { plan } = ctx;
  const { summary } = plan;
  const rows: Cell[][] = [
    ['ptychostudy', packageVersion()],
    ['node', process.version],
    ['platform', `${process.platform} ${process.arch}`],
    ...['vega', 'vega-lite', '@resvg/resvg-js', 'pngjs', 'fflate', 'zod', 'commander'].map((n): Cell[] => [n, depVersion(n)]),
  ];
  const state = plan.run;
  if (state && 'value' in state) {
    const v = (state.value as { version?: string } | null)?.version;
    if (v) rows.push(['ptychostudy that ran the study (run.json)', v]);
  }
  if (summary) for (const r of summary.runs) rows.push([`compare run ${r.run_id}`, `${r.started_at}`]);
  return { id: 'software', title: 'Software', body: table(['component', 'version'], rows) };
}
