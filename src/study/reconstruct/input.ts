/**
 * What a reconstruction starts from, whatever the input file: the dataset (NPZ, CXI or PtyPy .ptyd,
 * recognised by its bytes), the object frame, the initial probe and a record of where each came from.
 *
 *  - object frame: objectGuess's shape and the file's coordinates when the dataset has an objectGuess
 *    (simulated data: the reconstruction lands in the ground truth's frame); otherwise the scan frame
 *    of data/geometry.ts — positions shifted so the smallest centre sits at N/2 + margin, the object
 *    just large enough for every patch (measured data has no ground truth);
 *  - probe: a model (`--probe-model`, from the data's geometry) when given; else a probe file
 *    (`file:PATH`: NPZ, CXI, ptychodus product or PtyPy .ptyr); else the input's own probe
 *    (probeGuess, the CXI illumination). A probe file that states its pixel size must match the data's
 *    object pixel size within 1 % (probes are never resampled). A model probe is scaled to the data's
 *    mean pattern power (Σ|P|² = mean Σ I / (H·W), by Parseval for an object of ones).
 */
import { basename } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import type { Dataset } from '../../data/dataset.js';
import { scanFrame, DEFAULT_OBJECT_MARGIN, type Radiation } from '../../data/geometry.js';
import { frameSettingsMessage, npzGeometry, npzRadiationMessage, readInputData, sampling } from '../../data/input.js';
import type { FramePrep } from '../../data/hdf5/frames.js';
import { cxiEntryMessage, cxiKeysOf, probeAlsoLookedAt } from '../../data/cxi.js';
import { geometryRecord, measuredToDataset, probeGuessOf, type ProbeData } from '../../data/measured.js';
import { readProbeFile } from '../../data/probe-file.js';
import { samePixelSize } from '../../data/object-file.js';
import { checkObjectFrameFits, type LsqmlJobRequest } from '../../data/memory.js';
import { intensityScale, missingProbeGuessMessage, patternRefusals } from '../../data/reconstruction-refusals.js';
import { modelProbe, type ProbeModelSpec } from '../../physics/probe.js';
import { c128 } from '../../npy/types.js';
import { printable } from '../../text.js';
import { framesChanged } from '../../data/hdf5/frames.js';

export interface ReconstructionInputOptions {
  /** 'guess' (the input's own probe) or 'file:PATH'. */
  initProbe: string;
  /** A probe model to use instead (needs the wavelength and pixel size: from the data or the spec). */
  probeModel?: ProbeModelSpec;
  /** Margin of the scan frame, pixels (default 2). */
  margin?: number;
  /** The job's size (modes, batch, patterns used): an NPZ is read only after its headers show the job fits. */
  job: LsqmlJobRequest;
  /** Measured data: mask the pixels its file marks as not measured (default true; reconstruction.detectorMask). */
  detectorMask?: boolean;
  /**
   * Measured data (CXI): what its energy is the energy of (reconstruction.radiation); null or absent: as the file
   * states, photon when it states nothing. Refused for an NPZ, which states no energy to convert.
   */
  radiation?: Radiation | null;
  /**
   * Measured data: the crop and binning of its detector frames (reconstruction.crop, binSize; data/hdf5/frames.ts).
   * Refused for an NPZ, whose patterns are amplitudes already made.
   */
  frames?: FramePrep;
  /** reconstruction.precision: what the patterns' totals are held to (`patternRefusals`; default float32). */
  precision?: 'float32' | 'float64';
  /** reconstruction.fftBackend: wasm refuses patterns of a side with a prime factor above 13 (`patternRefusals`; default auto). */
  fftBackend?: 'auto' | 'ts' | 'wasm';
  /** A dataset NPZ's read stops between two pieces of a member once it is aborted (`ReadInputOptions.signal`). */
  signal?: AbortSignal;
}

export interface ReconstructionInput {
  dataset: Dataset;
  format: 'npz' | 'cxi' | 'ptyd';
  /** Object size [H, W]. */
  objectShape: [number, number];
  /** Scan centres in the object frame (the dataset's own coordinates when it has an objectGuess). */
  xcoords: Float64Array;
  ycoords: Float64Array;
  /** Initial probe modes (at least one) and where they came from. */
  probe: ProbeData;
  /** The key the diffraction patterns were read from ('diffraction', or the CXI / .ptyd dataset), for messages. */
  diffractionKey: string;
  /**
   * Measured data's detector mask [H, W] in the patterns' order (direct beam at [H/2, W/2]), 1 = fitted;
   * its masked pixels are 0 in the dataset's diffraction. Absent when no pixel is masked.
   */
  validMask?: Uint8Array;
  /** For `_metadata`: format, geometry, object frame, probe source / model, detector mask. */
  record: Record<string, unknown>;
  /** The object pixel size [y, x] in m the data states (measured data, or an NPZ's `_metadata.geometry`). */
  objectPixelM?: [number, number];
  /** Measured data: metres [y, x] at the object frame's pixel coordinate 0 (position_m = originM + coord·pixel). */
  objectOriginM?: [number, number];
  warnings: string[];
}

/** Mean over the first n patterns of amplitudes [n, hw] of Σ amplitude². */
function meanPatternPower(diffraction: ArrayLike<number>, n: number, hw: number): number {
  let s = 0;
  for (let i = 0; i < n * hw; i++) s += diffraction[i]! * diffraction[i]!;
  return s / n;
}

/**
 * The probe of reconstruction.probeModel (`--probe-model`) for patterns [n, H, W] (`diffraction`, amplitudes) sampled at
 * `s` (the data's wavelength and object pixel; the model's own wavelength= and pixel= first), scaled to the patterns'
 * mean power, as `lsqml` makes it — and `inspect --check --config` shows it. `notes`: the model's remarks, said as warnings.
 */
export function modelProbeFor(path: string, spec: ProbeModelSpec, N: readonly [number, number], s: { wavelengthM?: number; pixelM?: [number, number] },
  diffraction: ArrayLike<number>, n: number): { probe: ProbeData; record: Record<string, unknown>; notes: string[] } {
  const wavelengthM = spec.wavelengthM ?? s.wavelengthM;
  const pixelM = spec.pixelM !== undefined ? [spec.pixelM, spec.pixelM] as [number, number] : s.pixelM;
  if (wavelengthM === undefined || pixelM === undefined) {
    throw new UsageError(`reconstruction.probeModel (--probe-model) needs the wavelength and the object pixel size: ${path} states ${wavelengthM === undefined ? 'no wavelength' : 'no pixel size'}; add wavelength=…,pixel=… (metres) to the model`);
  }
  let r;
  try {
    r = modelProbe(spec.model, { height: N[0], width: N[1], wavelengthM, pixelM });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`reconstruction.probeModel (--probe-model): ${err.message}`);
    throw err;
  }
  const data = r.probe.data;
  let p2 = 0;
  for (let i = 0; i < data.length; i++) p2 += data[i]! * data[i]!;
  const k = Math.sqrt(meanPatternPower(diffraction, n, N[0] * N[1]) / (N[0] * N[1]) / p2);
  if (Number.isFinite(k) && k > 0) for (let i = 0; i < data.length; i++) data[i]! *= k;
  return {
    probe: { modes: 1, height: N[0], width: N[1], data, pixelM, source: `model ${spec.model.kind}` },
    record: { ...spec.model, wavelength_m: wavelengthM, pixel_size_m_yx: pixelM, derived: r.derived, notes: r.notes, power_scale: k },
    notes: r.notes,
  };
}

/** The refusal of a probe model and a probe file given together (reconstruction.probeModel, reconstruction.initProbe). */
export const BOTH_PROBES_MESSAGE = 'give either reconstruction.initProbe file:PATH (--init-probe) or reconstruction.probeModel (--probe-model), not both';

/**
 * The probe of `initProbe` `file:PATH` for patterns `N` sampled at `s` (the data's object pixel, when it states one),
 * as `lsqml` reads it — and `inspect --check` shows it: the file's probe of the patterns' size (never resampled,
 * modes kept; a CXI probe file that states no radiation read with the data's `radiation`), refused when it states
 * another pixel size than the data's (within 1 %).
 */
export async function probeFromFile(initProbe: string, N: readonly [number, number], s: { pixelM?: [number, number] }, radiation?: Radiation, cxiEntry?: string | null): Promise<ProbeData> {
  const p = await readProbeFile(initProbe.slice(5), N[0], N[1], { ...(radiation ? { radiation } : {}), ...(cxiEntry != null ? { cxiEntry } : {}) });
  const probe = { ...p, source: `file:${p.source}` };
  if (probe.pixelM && s.pixelM && !samePixelSize(probe.pixelM, s.pixelM)) {
    throw new InputError(`${probe.source}: expected a probe sampled at the data's object pixel size [${s.pixelM.join(', ')}] m (within 1 %); found [${probe.pixelM.join(', ')}] m (probes are not resampled)`);
  }
  return probe;
}

/** Reads `path` and resolves the object frame and the initial probe (see the module comment). */
export async function readReconstructionInput(path: string, opts: ReconstructionInputOptions): Promise<ReconstructionInput> {
  if (opts.probeModel && opts.initProbe !== 'guess') throw new UsageError(BOTH_PROBES_MESSAGE);
  // An NPZ without probeGuess is read, to take the probe from --probe-model or --init-probe file:, or to be refused below naming both.
  const cropped = framesChanged(opts.frames);
  // squarePatterns: measured data's patterns that are not square are refused from the header, before the read
  const input = await readInputData(path, { margin: opts.margin ?? DEFAULT_OBJECT_MARGIN, job: opts.job, probeOptional: true, detectorMask: opts.detectorMask ?? true, squarePatterns: true,
    ...(opts.radiation ? { radiation: opts.radiation } : {}), ...(cropped || opts.frames?.cxiEntry != null ? { frames: opts.frames } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}) });
  if (input.format === 'npz' && opts.radiation) {
    // an NPZ's positions are object pixels and its _metadata.geometry states the wavelength itself: no energy to convert
    throw new InputError(npzRadiationMessage(path, opts.radiation));
  }
  if (input.format === 'npz' && cropped) throw new InputError(frameSettingsMessage(path, 'a dataset NPZ'));
  if (input.format === 'npz' && opts.frames?.cxiEntry != null) throw new InputError(cxiEntryMessage(path, opts.frames.cxiEntry, 'a dataset NPZ'));
  const measured = input.format === 'npz' ? undefined : input.measured;
  const record: Record<string, unknown> = { input_format: input.format };
  const warnings: string[] = [];

  // The dataset, with a placeholder probeGuess until the probe is resolved.
  let dataset: Dataset;
  let geometry: Record<string, unknown> | undefined;
  if (input.format === 'npz') {
    dataset = input.dataset;
    geometry = npzGeometry(dataset, path);
    // recorded as measured data's is: `export` takes the object pixel size from it, a probe file of the result its own
    if (geometry) record.geometry = geometry;
  } else {
    const m = input.measured;
    const placeholder = m.probe ? probeGuessOf(m.probe) : c128([m.H, m.W], new Float64Array(2 * m.H * m.W));
    dataset = measuredToDataset(m, placeholder);
    geometry = geometryRecord(m);
    record.geometry = geometry;
    record.detector_mask = m.maskRecord;
  }
  const N: [number, number] = [dataset.H, dataset.W];
  // What LSQML refuses of the patterns and of the file's probeGuess when it starts from it: the checker `inspect --check`
  // calls too (before the object frame, which a scan of no position has none of)
  const ownProbe = input.format === 'npz' && !dataset.probeAbsent && !opts.probeModel && !opts.initProbe.startsWith('file:');
  const refused = patternRefusals({
    file: path, key: measured?.keys.diffraction ?? 'diffraction', n: dataset.n, H: dataset.H, W: dataset.W, diffraction: dataset.diffraction,
    frames: measured !== undefined, nImages: opts.job.nImages ?? null, scale: intensityScale(dataset.metadata, path), precision: opts.precision ?? 'float32',
    ...(opts.fftBackend ? { fftBackend: opts.fftBackend } : {}), ...(opts.frames?.binSize ? { binSize: opts.frames.binSize } : {}),
    ...(ownProbe ? { probeGuess: dataset.probeGuess } : {}),
  });
  if (refused.length > 0) throw new InputError(refused[0]!);

  // Object frame.
  let objectShape: [number, number], xcoords: Float64Array, ycoords: Float64Array;
  if (dataset.objectGuess) {
    objectShape = [dataset.objectGuess.shape[0]!, dataset.objectGuess.shape[1]!];
    xcoords = dataset.xcoords; ycoords = dataset.ycoords;
    record.object_frame = 'objectGuess (ground truth frame)';
  } else {
    const f = scanFrame(dataset.xcoords, dataset.ycoords, N, opts.margin ?? DEFAULT_OBJECT_MARGIN, `${path}: keys 'xcoords', 'ycoords'`);
    objectShape = f.objectShape; xcoords = f.x; ycoords = f.y;
    record.object_frame = { source: 'scan extent and patch size (no objectGuess)', margin_px: f.margin, shift_yx: f.shift, object_shape: f.objectShape };
  }
  const positionKey = measured?.keys.translation ?? measured?.keys.positions;
  checkObjectFrameFits(path, objectShape, { ...dataset, ...(positionKey ? { positionKeys: `key '${printable(positionKey)}'` } : {}) }, opts.job);

  // Probe.
  let probe: ProbeData;
  const s = sampling(geometry, path);
  if (opts.probeModel) {
    const m = modelProbeFor(path, opts.probeModel, N, s, dataset.diffraction, dataset.n);
    probe = m.probe;
    record.probe_model = m.record;
    warnings.push(...m.notes.map((n) => `reconstruction.probeModel (--probe-model): ${n}`));
  } else if (opts.initProbe.startsWith('file:')) {
    // a CXI probe file that states no radiation is read with the data's
    const dataRadiation = measured?.geometry.radiation ?? (geometry?.radiation === 'electron' || geometry?.radiation === 'photon' ? geometry.radiation : undefined);
    probe = await probeFromFile(opts.initProbe, N, s, dataRadiation, opts.frames?.cxiEntry);
  } else if (input.format === 'npz' && input.dataset.probeAbsent) {
    throw new InputError(missingProbeGuessMessage(path, N[0], N[1]));
  } else if (measured && !measured.probe) {
    // PtyPy's illumination parameters, for a .ptyd: what each is here
    const ptypy = measured.format === 'ptyd' ? ' (PtyPy\'s illumination: model \'recon\' with a .ptyr is --init-probe file:recon.ptyr, aperture and ' +
      'propagation are --probe-model aperture:… or fzp:…; docs/real-data.md, "Coming from PtyPy")' : '';
    const give = `give --probe-model aperture:diameter=…|fzp:diameter=…,outer-zone=…,defocus=… or --init-probe file:PATH${ptypy}`;
    // a CXI file names where its probe would be: file, key, expected, found, as every refusal
    if (measured.probeNotUsed !== undefined) {
      // the file's probe is of its frames, not of the cropped or binned patterns
      throw new InputError(`${path}: key '${measured.keys.probe}': expected the probe of the ${N.join('×')} patterns (complex [${N.join(', ')}] or [M, ${N.join(', ')}]); ` +
        `found ${measured.probeNotUsed}; ${give}`);
    }
    if (measured.format === 'cxi') {
      // the keys of the entry read (reconstruction.cxiEntry, or the file's only one)
      const K = cxiKeysOf(measured.keys.entry ?? 'entry_1');
      throw new InputError(`${path}: key '${K.probe[0]}': expected the probe (complex [${N.join(', ')}] or [M, ${N.join(', ')}]); ` +
        `found it missing (${probeAlsoLookedAt(measured.keys.radiation, K)}); ${give}`);
    }
    throw new InputError(`${path}: has no probe (PtyPy prepared data holds none); ${give}`);
  } else if (measured) {
    probe = measured.probe!;
  } else {
    const pg = dataset.probeGuess;
    // the file's name only: the reconstruction's _metadata holds no absolute path (same inputs, same bytes)
    probe = { modes: 1, height: N[0], width: N[1], data: Float64Array.from(pg.data as Float32Array | Float64Array), source: `${basename(path)}: probeGuess` };
  }
  dataset.probeGuess = probeGuessOf(probe);
  record.probe_source = probe.source;
  const diffractionKey = measured?.keys.diffraction ?? 'diffraction';
  return {
    dataset, format: input.format, objectShape, xcoords, ycoords, probe, diffractionKey, record, warnings: [...(dataset.warnings ?? []), ...warnings],
    ...(s.pixelM ? { objectPixelM: s.pixelM } : {}), ...(measured ? { objectOriginM: measured.originM } : {}),
    ...(measured?.detectorMask ? { validMask: measured.detectorMask.valid } : {}),
  };
}
