/**
 * `inspect` of an HDF5 file (CXI, PtyPy .ptyd or .ptyr, a ptychodus product, any other HDF5): its tree of
 * groups, datasets and links from their metadata alone (no value is read for it); of measured data (CXI, .ptyd)
 * where the direct beam is (hdf5/beam.ts: at most 64 patterns read); and with `check` what a reconstruction makes of it — measured data as `lsqml --input` reads it, or the probe and
 * the object of a .ptyr or a ptychodus product as `--init-probe file:` and `--init-object file:` read them: the same reading, so the same refusals. Soft and external
 * links are shown, never followed (an external link's file is never opened); the walk is bounded in depth
 * and entries, so a file of a million groups or a loop of hard links cannot hold it up.
 */
import { InputError, UsageError } from '../errors.js';
import { readInputData } from './input.js';
import { patternRefusals } from './reconstruction-refusals.js';
import type { FramePrep } from './hdf5/frames.js';
import { cxiBeam, cxiEntryMessage, looksLikeCxi } from './cxi.js';
import { looksLikePtyd, looksLikePtyr, looksLikePtyrObject, ptydBeam } from './ptypy.js';
import type { BeamEstimate } from './hdf5/beam.js';
import { looksLikePtychodusProduct } from './probe-file.js';
import { checkReconstructionFile, type StartingPoint } from './inspect-reconstruction-file.js';
import type { MaskSource } from './hdf5/mask.js';
import { radiationText } from './measured.js';
import { givenProbeLine, givenProbeWarnings, p5, probeText, type GivenProbe, type InitialObjectOf, type InitialProbeOf } from './inspect.js';
import { withHdf5, type Hdf5Reader } from './hdf5/reader.js';
import { sniffFile } from './hdf5/signature.js';
import { ELECTRON_VOLT_J, type Radiation } from './geometry.js';
import { checkObjectFrameFits, jobMemoryLine, measuredJobBytes, memoryLimit, type LsqmlJobRequest } from './memory.js';
import { printable } from '../text.js';
import { framesChanged } from './hdf5/frames.js';

/** Entries listed at most (groups, datasets and links together); the rest is counted as not listed. */
export const MAX_LISTED_ENTRIES = 2000;
/** Group depth walked at most below the root. */
export const MAX_LISTED_DEPTH = 12;

export interface Hdf5Entry {
  /** Path in the file, '/' separated, without the leading '/'. */
  path: string;
  type: 'group' | 'dataset' | 'soft link' | 'external link' | 'other';
  dtype?: string;
  shape?: number[];
  bytes?: number;
  chunks?: number[] | null;
  filters?: string[];
  /** A link's target ('file:path' for an external link). */
  target?: string;
  /** Why a dataset's metadata could not be read. */
  error?: string;
}

export interface Hdf5Check {
  valid: boolean;
  /** What a reconstruction reads, one line each (format, patterns, keys, geometry, probe). */
  reads: string[];
  violations: string[];
  warnings: string[];
  /** Measured data: the detector mask as a reconstruction records it (`_metadata.detector_mask`). */
  detector_mask?: Record<string, unknown>;
  /** Measured data cropped or binned: how its frames were made into the patterns (`_metadata.geometry.frames`). */
  frames?: Record<string, unknown>;
}

export interface Hdf5Summary {
  file: string;
  fileBytes: number;
  /** What the file looks like: 'CXI', 'PtyPy prepared data (.ptyd)', … or 'HDF5'. */
  kind: string;
  entries: Hdf5Entry[];
  /** Entries beyond MAX_LISTED_ENTRIES or MAX_LISTED_DEPTH that were not listed (at least: groups not listed are not walked). */
  notListed: number;
  /** Those bounds, in words. */
  listLimits: string;
  /**
   * Measured data (CXI, .ptyd): where the direct beam is on the file's frames (hdf5/beam.ts), or why it was not
   * estimated (the frames cannot be read: `--check` says why in the words of a reconstruction).
   */
  beam?: BeamEstimate | { error: string };
  check?: Hdf5Check;
}

function kindOf(r: Hdf5Reader): string {
  if (looksLikeCxi(r)) return 'CXI';
  if (looksLikePtyd(r)) return 'PtyPy prepared data (.ptyd)';
  if (looksLikePtyr(r) || looksLikePtyrObject(r)) return 'PtyPy reconstruction (.ptyr)'; // an object-only one is an object file
  if (looksLikePtychodusProduct(r)) return 'ptychodus product';
  return 'HDF5';
}

function listTree(r: Hdf5Reader): { entries: Hdf5Entry[]; notListed: number } {
  const entries: Hdf5Entry[] = [];
  let notListed = 0;
  const walk = (group: string, depth: number): void => {
    for (const name of r.keys(group === '' ? '/' : group)) {
      const path = group === '' ? name : `${group}/${name}`;
      if (entries.length >= MAX_LISTED_ENTRIES || depth > MAX_LISTED_DEPTH) { notListed++; continue; }
      const link = r.linkOf(group === '' ? '/' : group, name);
      if (link.type === 'soft') { entries.push({ path, type: 'soft link', target: link.target }); continue; }
      if (link.type === 'external') { entries.push({ path, type: 'external link', target: `${link.file}:${link.path}` }); continue; }
      const kind = r.kind(path);
      if (kind === 'group') {
        entries.push({ path, type: 'group' });
        walk(path, depth + 1);
      } else if (kind === 'dataset') {
        try {
          const info = r.info(path);
          entries.push({ path, type: 'dataset', dtype: info.dtype, shape: info.shape, bytes: info.bytes, chunks: info.chunks, filters: info.filters.map((f) => f.name) });
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          entries.push({ path, type: 'dataset', error: err.message });
        }
      } else entries.push({ path, type: 'other' });
    }
  };
  walk('', 1);
  return { entries, notListed };
}

export { probeFileRadiationMessage } from './inspect-reconstruction-file.js';

/**
 * What a reconstruction makes of the file, as lines: measured data as `lsqml --input` reads it, or — for a
 * PtyPy reconstruction or a ptychodus product, which hold no patterns — the probe `--init-probe file:` reads and the
 * object `--init-object file:` reads (inspect-reconstruction-file.ts).
 */
async function checkAsInput(path: string, kind: string, radiation: Radiation | null, frames?: FramePrep,
  initialProbe?: InitialProbeOf, job?: LsqmlJobRequest, precision: 'float32' | 'float64' = 'float32', initialObject?: InitialObjectOf, fftBackend: 'auto' | 'ts' | 'wasm' = 'auto',
  startingPoint: readonly StartingPoint[] = []): Promise<Hdf5Check> {
  const rad = radiation ? { radiation } : {};
  const cropped = framesChanged(frames);
  try {
    // a PtyPy reconstruction or a ptychodus product holds no patterns: its probe and object, as --init-probe and --init-object read them
    if (kind === 'PtyPy reconstruction (.ptyr)' || kind === 'ptychodus product') {
      return { ...await checkReconstructionFile(path, kind, { radiation, ...(frames ? { frames } : {}), startingPoint }), warnings: [] };
    }
    // read as lsqml reads it: the job's memory checked from the datasets' shapes (and the scan's extent) before the stack is read
    const input = await readInputData(path, { ...rad, squarePatterns: true, ...(cropped || frames?.cxiEntry != null ? { frames } : {}), ...(job ? { job } : {}) });
    if (input.format === 'npz') throw new Error('an HDF5 file read as an NPZ'); // sniffed as HDF5 before
    const m = input.measured;
    // what lsqml refuses of the patterns, in its words: the checker it calls (patterns that are not square: by the reader, before the read)
    const refused = patternRefusals({ file: path, key: m.keys.diffraction ?? 'diffraction', n: m.n, H: m.H, W: m.W, diffraction: m.diffraction, frames: true,
      nImages: job?.nImages ?? null, precision, fftBackend, ...(frames?.binSize ? { binSize: frames.binSize } : {}) });
    if (refused.length > 0) return { valid: false, reads: [], violations: refused, warnings: [] };
    // the memory the reconstruction needs, and lsqml's refusal when it is over the limit
    const memory: string[] = [];
    if (job) {
      const limit = memoryLimit();
      const positionKey = m.keys.translation ?? m.keys.positions; // as lsqml names it (study/reconstruct/input.ts)
      checkObjectFrameFits(path, m.objectShape, { n: m.n, H: m.H, W: m.W, ...(positionKey ? { positionKeys: `key '${printable(positionKey)}'` } : {}) }, job, limit);
      memory.push(jobMemoryLine(measuredJobBytes(m.objectShape, m, job), job, limit));
    }
    const g = m.geometry;
    let given: GivenProbe | undefined;
    try {
      given = await initialProbe?.({ file: m.file, H: m.H, W: m.W, n: m.n, diffraction: m.diffraction, wavelengthM: g.wavelengthM, pixelM: g.objectPixelM, radiation: g.radiation });
    } catch (err) {
      // lsqml's refusal of the model or the probe file for this data, in its words, as this file's problem
      if (err instanceof UsageError) throw new InputError(err.message);
      throw err;
    }
    // the object file it starts from, read as lsqml reads it for the scan's object frame (after the probe, as lsqml does)
    const object = await initialObject?.({ file: m.file, shape: m.objectShape, pixelM: g.objectPixelM, originM: m.originM });
    const reads = [
      `${m.format === 'cxi' ? 'CXI' : 'PtyPy .ptyd'}: ${m.n} patterns of ${m.H}×${m.W}`,
      ...Object.entries(m.keys).filter(([what]) => what !== 'probe').map(([what, key]) => `${what}: ${key}`),
      // the energy in the unit the file stores it in too (PtyPy: keV), so that a unit mistake shows
      `${g.radiation} energy ${p5(g.energyJ / ELECTRON_VOLT_J / 1e3)} keV = ${p5(g.energyJ)} J, wavelength ${p5(g.wavelengthM)} m, detector distance ${p5(g.distanceM)} m, detector pixel [${g.detectorPixelM.map(p5).join(', ')}] m → object pixel [${g.objectPixelM.map(p5).join(', ')}] m`,
      `radiation ${radiationText(g.radiation, m.radiationFrom)}`,
      ...(m.frames ? [`frames: ${(m.frames.file_frame_shape as number[]).join('×')} in the file → ${m.H}×${m.W} patterns: ${String(m.frames.how)}; ` +
        `detector pixel [${(m.frames.file_pixel_size_m_yx as number[]).map(p5).join(', ')}] m in the file`] : []),
      `object frame ${m.objectShape[0]}×${m.objectShape[1]} px (margin ${m.margin} px)`,
      given ? givenProbeLine(given)
        : m.probe ? `probe: ${m.keys.probe ?? m.probe.source}, ${probeText(m.probe)}`
        : m.probeNotUsed ? `probe: ${m.keys.probe} not used (${m.probeNotUsed}); give --probe-model or --init-probe file:PATH` : 'probe: none (give --probe-model or --init-probe file:PATH)',
      ...(object ? [object.line] : []),
      m.detectorMask
        ? `detector mask: ${m.detectorMask.masked} of ${m.H * m.W} pixels masked (${(m.maskRecord.sources as MaskSource[]).filter((s) => s.pixels > 0).map((s) => `${s.source} ${s.key}: ${s.pixels}`).join('; ')}; --no-detector-mask fits every pixel)`
        : 'detector mask: no pixel masked',
      ...memory,
    ];
    return { valid: true, reads, violations: [], warnings: [...m.warnings, ...givenProbeWarnings(given), ...(object?.warnings ?? [])], detector_mask: m.maskRecord, ...(m.frames ? { frames: m.frames } : {}) };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { valid: false, reads: [], violations: [err.message], warnings: [] };
  }
}

/**
 * The tree of an HDF5 file and, with `check`, what a reconstruction reads from it; `radiation` is the setting
 * reconstruction.radiation (`--radiation`) the file is read with, with the same refusals as a reconstruction's.
 * Throws InputError when it cannot be opened.
 */
export async function summarizeHdf5(path: string, opts: { check?: boolean; radiation?: Radiation | null; frames?: FramePrep; initialProbe?: InitialProbeOf; initialObject?: InitialObjectOf; job?: LsqmlJobRequest;
  /** reconstruction.precision the check holds the patterns to (default float32). */ precision?: 'float32' | 'float64';
  /** reconstruction.fftBackend the check holds the patterns' size to (default auto). */ fftBackend?: 'auto' | 'ts' | 'wasm';
  /** The settings given of the probe and object a reconstruction starts from (`initialProbe`, `initialObject`): refused for a
   * .ptyr or a ptychodus product checked alone, which holds no patterns to read them for. */ startingPoint?: readonly StartingPoint[] } = {}): Promise<Hdf5Summary> {
  const summary = await withHdf5(path, (r): Hdf5Summary => {
    const kind = kindOf(r);
    const s: Hdf5Summary = { file: path, fileBytes: r.fileBytes, kind, ...listTree(r),
      listLimits: `at most ${MAX_LISTED_ENTRIES} entries and ${MAX_LISTED_DEPTH} levels of groups are listed` };
    if (kind === 'CXI' || kind === 'PtyPy prepared data (.ptyd)') {
      try {
        // of the entry a reconstruction reads (reconstruction.cxiEntry, or the file's only one); a .ptyd has none to name
        const entry = opts.frames?.cxiEntry;
        if (kind !== 'CXI' && entry != null) throw new InputError(cxiEntryMessage(path, entry, 'a PtyPy .ptyd'));
        s.beam = kind === 'CXI' ? cxiBeam(r, entry) : ptydBeam(r);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        s.beam = { error: err.message };
      }
    } else if (opts.frames?.cxiEntry != null && !opts.check) {
      // the setting names an entry of a CXI file's measurement: refused for a file that holds none, as for an NPZ (with
      // --check, the check says it in the words of the reader it stands for)
      throw new InputError(cxiEntryMessage(path, opts.frames.cxiEntry, kind === 'HDF5' ? 'an HDF5 file that is not CXI' : `a ${kind}`));
    }
    return s;
  });
  if (opts.check) summary.check = await checkAsInput(path, summary.kind, opts.radiation ?? null, opts.frames, opts.initialProbe, opts.job, opts.precision, opts.initialObject, opts.fftBackend, opts.startingPoint);
  return summary;
}

/** True when `path` is a regular file with the HDF5 signature; false for anything else (the NPZ reader then says what it is). */
export function isHdf5File(path: string): boolean {
  try {
    return sniffFile(path) === 'hdf5';
  } catch {
    return false;
  }
}
