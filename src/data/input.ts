/**
 * One entry point for a reconstruction's input file, recognised by its first bytes (not its name):
 *   zip  → a DATA-001 dataset NPZ (`loadDataset`, or `loadJobDataset` for a job; `objectGuess` optional);
 *   HDF5 → CXI (entry_1/data_1/data …) or PtyPy prepared data (.ptyd: chunks/, meta/), read as
 *          measured data with its physical geometry. A ptychodus product or PtyPy reconstruction
 *          (.ptyr) holds no diffraction data: it is refused with a pointer to its use as a probe file, and so is
 *          ptychodus's NPZ product (a zip).
 */
import { InputError } from '../errors.js';
import { printable, shownJson } from '../text.js';
import { loadDataset, type Dataset } from './dataset.js';
import { loadJobDataset } from './job-input.js';
import type { LsqmlJobRequest } from './memory.js';
import { looksLikeCxi, readCxiFrom, CXI_KEYS, type ReadMeasuredOptions } from './cxi.js';
import type { MeasuredData } from './measured.js';
import { looksLikePtyd, looksLikePtyr, readPtydFrom } from './ptypy.js';
import { looksLikePtychodusProduct } from './probe-file.js';
import { isPtychodusNpzFile } from './ptychodus-npz.js';
import { withHdf5 } from './hdf5/reader.js';
import { nonSquarePatternsMessage } from './hdf5/frames.js';
import { noCountsMessage, noPatternsMessage } from './reconstruction-refusals.js';
import { sniffInputFile } from './hdf5/signature.js';

export interface ReadInputOptions extends ReadMeasuredOptions {
  /** When the file is read for an LSQML job: an NPZ is then read as the job reads it (`loadJobDataset`:
   *  headers first, the job's memory checked, `_metadata` strict); measured data with the job's memory checked
   *  before its stack is read (ReadMeasuredOptions.job). */
  job?: LsqmlJobRequest;
  /** An NPZ without `probeGuess` is read (`Dataset.probeAbsent`), for a caller that supplies the probe or says how to. */
  probeOptional?: boolean;
  /**
   * With `job`: a dataset NPZ's members are read without blocking the event loop, and an abort seen between two pieces
   * of one stops the read (it rejects with `abortError`). Measured data (CXI, .ptyd) is read whole.
   */
  signal?: AbortSignal;
}

export type InputData =
  | { format: 'npz'; dataset: Dataset }
  | { format: 'cxi' | 'ptyd'; measured: MeasuredData };

/** Reads `path` as a dataset NPZ, a CXI file or a PtyPy .ptyd file; every problem is one InputError line (exit 2). */
export async function readInputData(path: string, opts: ReadInputOptions = {}): Promise<InputData> {
  const kind = sniffInputFile(path);
  if (kind === 'zip') {
    if (isPtychodusNpzFile(path)) throw new InputError(noDiffractionMessage(path, 'ptychodus product (NPZ)'));
    // squarePatterns: patterns that are not square are refused from diffraction's header, before anything is inflated
    const probe = { ...(opts.probeOptional ? { probeOptional: true } : {}), ...(opts.squarePatterns ? { squarePatterns: true } : {}) };
    return { format: 'npz', dataset: opts.job ? await loadJobDataset(path, opts.job, probe, opts.signal) : loadDataset(path, probe) };
  }
  if (kind !== 'hdf5') throw new InputError(`${path}: expected a dataset NPZ (zip) or an HDF5 file (CXI, PtyPy .ptyd); found neither signature in its first bytes`);
  return withHdf5(path, (r) => {
    if (looksLikeCxi(r)) return { format: 'cxi' as const, measured: readCxiFrom(r, opts) };
    if (looksLikePtyd(r)) return { format: 'ptyd' as const, measured: readPtydFrom(r, opts) };
    if (looksLikePtychodusProduct(r) || looksLikePtyr(r)) {
      throw new InputError(noDiffractionMessage(path, looksLikePtyr(r) ? 'PtyPy reconstruction (.ptyr)' : 'ptychodus product'));
    }
    throw new InputError(`${path}: key '${CXI_KEYS.data[0]}': expected CXI diffraction data (or PtyPy's chunks/ and meta/); found top-level keys [${printable(r.keys('/').join(', '), 1000)}]`);
  }, opts);
}

/** The refusal of a file that holds a reconstruction (`kind`: a ptychodus product, a PtyPy .ptyr) given as the data. */
export function noDiffractionMessage(path: string, kind: string): string {
  return `${path}: a ${kind} holds a probe, an object and positions but no diffraction data; start a reconstruction from it (--init-probe file:${path} --init-object file:${path})`;
}

/**
 * The refusal of reconstruction.radiation (`--radiation`) for a dataset NPZ, which states no energy to convert:
 * `lsqml`, a Phase F job and `inspect --check` give this same line.
 */
export function npzRadiationMessage(file: string, radiation: string): string {
  return `${file}: reconstruction.radiation (--radiation) ${radiation}: expected measured data stating an energy (CXI); found a dataset NPZ, ` +
    'which states none (positions in object pixels; _metadata.geometry.wavelength_m, when present, is the wavelength itself): leave the setting out';
}

/**
 * The refusal of reconstruction.crop and reconstruction.binSize (`--crop-center`, `--crop-size`, `--bin-size`) for a
 * file that holds no detector frames (`what`: a dataset NPZ, whose patterns are amplitudes already made, or a probe
 * file): `lsqml`, a Phase F job and `inspect --check` give this same line.
 */
export function frameSettingsMessage(file: string, what: string): string {
  return `${file}: reconstruction.crop / reconstruction.binSize / reconstruction.orientation (--crop-center, --crop-size, --bin-size, --orientation): expected measured data holding ` +
    `detector frames (CXI, PtyPy .ptyd); found ${what}, whose patterns are not cropped, binned or oriented here: leave the settings out`;
}

/**
 * LSQML's refusals of the patterns themselves, whatever the settings (reconstruction-refusals.ts `patternRefusals`, which
 * `ptychostudy lsqml`, a Phase F job and `inspect --check` call): patterns that are not square (`nonSquarePatternsMessage`,
 * hdf5/frames.ts: measured data's are refused from the header, before the read), and patterns without a single count.
 */
export { nonSquarePatternsMessage };

/** See nonSquarePatternsMessage: a file of no pattern at all, and `n` patterns without a count (reconstruction-refusals.ts). */
export { noCountsMessage, noPatternsMessage };

/**
 * The `_metadata.geometry` of a dataset NPZ (what it states of the wavelength and pixel sizes), or undefined when it
 * has none; one that is not an object is refused, naming `path`. `lsqml` and `inspect --check` read it so.
 */
export function npzGeometry(dataset: Pick<Dataset, 'metadata'>, path: string): Record<string, unknown> | undefined {
  const g = dataset.metadata?.geometry;
  if (g !== undefined && g !== null && (typeof g !== 'object' || Array.isArray(g))) {
    throw new InputError(`${path}: key '_metadata.geometry': expected an object (wavelength_m, object_pixel_size_m_yx, …); found ${shownJson(g, 200)}`);
  }
  return g ? (g as Record<string, unknown>) : undefined;
}

/**
 * Wavelength and object pixel size [y, x] the data states: CXI/.ptyd geometry, or `_metadata.geometry` of an
 * NPZ. A value that is present but malformed is refused (naming `path`), never taken for an absent one: it
 * feeds the probe and object files' pixel-size checks and the probe models.
 */
export function sampling(geometry: Record<string, unknown> | undefined, path: string): { wavelengthM?: number; pixelM?: [number, number] } {
  if (!geometry) return {};
  const wl = geometry.wavelength_m, px = geometry.object_pixel_size_m_yx;
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const bad = (key: string, expected: string, v: unknown): InputError =>
    new InputError(`${path}: key '_metadata.geometry.${key}': expected ${expected}; found ${shownJson(v, 200)}`);
  if (wl !== undefined && !ok(wl)) throw bad('wavelength_m', 'the wavelength in m, a number > 0', wl);
  if (px !== undefined && !(Array.isArray(px) && px.length === 2 && ok(px[0]) && ok(px[1]))) throw bad('object_pixel_size_m_yx', 'the object pixel size [y, x] in m, two numbers > 0', px);
  return {
    ...(ok(wl) ? { wavelengthM: wl } : {}),
    ...(Array.isArray(px) ? { pixelM: [px[0], px[1]] as [number, number] } : {}),
  };
}
