/**
 * Every setting of a study and of a reconstruction, in one zod schema: each field with its default, its
 * bounds, its unit and one line of documentation (like pty-chi's options classes). This file is the only
 * place a setting's default lives. Input is parsed once, where it enters (CLI flags, a hub's run.json, a
 * config file: `parseStudySettings` in parse.ts), and the parsed object is passed down unchanged; the
 * layers below trust it. A preset (presets.ts) is a named set of values applied under the caller's, not a
 * second default.
 *
 * Groups: `simulation` (Phase C: doses, geometry, seed), `overlap` (Phase D: views, selection seed),
 * `reconstruction` (Phase F: every option of the LSQML engine plus the job's own: modes, initial object and
 * probe, image cap, threads), `execution` (how jobs are run). Adding a setting: add the field here with
 * `.default()`, its bounds and `.meta({ description, unit })`; map a CLI flag to it where the command
 * parses its flags (src/cli/flags.ts names the flag in error messages); regenerate
 * schemas/settings.schema.json (`node scripts/gen-schemas.mjs`). The reconstruction group must name every
 * field of the engine's `LsqmlOptions` (a compile-time check below says which one is missing).
 *
 * The engine keeps pty-chi's values for its own callers (`DEFAULT_LSQML_OPTIONS`, src/engine/options.ts);
 * the reconstruction group takes its defaults from there, except where the study departs on purpose:
 * `batchSize` 96 and `seed` 42 (the reference study's reconstruction script), `epochs` 50 (one default for
 * every command, sized for minutes on a laptop; the fly64 preset sets pty-chi's and the reference's 100),
 * `threads` (chosen per job). An epoch count of 1 is refused while epoch 0 only rescales the probe.
 */
import { z } from 'zod';
import { MAX_PROBE_MODES, MAX_SCAN_POSITIONS } from '../data/memory.js';
import { ORIENTATION_NAMES } from '../data/hdf5/frames.js';
import { DEFAULT_LSQML_OPTIONS, MAX_LSQML_THREADS, type LsqmlOptions } from '../engine/options.js';
import { parseProbeModelSpec } from '../physics/probe.js';

// ─── field builders: each names what it expects, which is what an error message says ────────────────

const positiveInt = (what = 'a positive integer') => z.int({ error: what }).min(1, { error: what });
const nonNegativeInt = (what = 'a non-negative integer') => z.int({ error: what }).min(0, { error: what });
const nonNegative = (what = 'a finite number ≥ 0') => z.number({ error: what }).min(0, { error: what });
/** Why `text` is not a probe model spec, or null when it is one. */
function probeModelError(text: string): string | null {
  try {
    parseProbeModelSpec(text);
    return null;
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^probe model '.*?': /, '');
    return `a valid probe model (${reason})`;
  }
}

/** A scan's number of positions: at least 2 (a train and a test position), at most MAX_SCAN_POSITIONS. */
const POSITION_COUNT = `an integer from 2 to ${MAX_SCAN_POSITIONS} (MAX_SCAN_POSITIONS)`;
const positionCount = () => z.int({ error: POSITION_COUNT }).min(2, { error: POSITION_COUNT }).max(MAX_SCAN_POSITIONS, { error: POSITION_COUNT });

const doc = (description: string, unit?: string) => (unit ? { description, unit } : { description });

/** The largest crop of a detector frame (pixels a side) and bin size. */
export const MAX_CROP_SIZE = 16384;
export const MAX_BIN_SIZE = 64;
const CROP_SIZE = `an integer from 2 to ${MAX_CROP_SIZE}`;
const CROP_CENTER = 'two integers [y, x] ≥ 0 (pixels of the file\'s frames)';
const BIN_SIZE = `an integer from 1 to ${MAX_BIN_SIZE}`;
const cropPixel = () => z.int({ error: CROP_CENTER }).min(0, { error: CROP_CENTER }).max(1_000_000, { error: CROP_CENTER });

/** A preset's name (presets.ts holds their values). */
export const PRESET_NAMES = ['quick', 'fly64'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** The reference study's doses, photons per pattern. */
const REFERENCE_DOSES = [1e3, 1e4, 1e5];

// ─── Phase C ─────────────────────────────────────────────────────────────────────────────────────────

export const SimulationSettingsSchema = z.object({
  doses: z.array(
    z.number({ error: 'positive numbers of photons per pattern' }).positive({ error: 'positive numbers of photons per pattern' }),
    { error: 'a list of doses' },
  ).min(1, { error: 'at least one dose' }).default(() => [...REFERENCE_DOSES])
    .meta(doc('expected photons per diffraction pattern (mean over the scan); one dataset per dose', 'photons per pattern')),
  patchSize: z.int({ error: 'an even integer ≥ 4' }).min(4, { error: 'an even integer ≥ 4' }).multipleOf(2, { error: 'an even integer ≥ 4' })
    .default(128).meta(doc('N: side of the probe and of every diffraction pattern (a base NPZ\'s probe sets it instead)', 'pixels')),
  objectShape: z.tuple([positiveInt(), positiveInt()], { error: 'two positive integers [H, W]' }).default([464, 464])
    .meta(doc('[H, W] of the synthetic object (a base NPZ\'s objectGuess sets it instead)', 'pixels')),
  nPositions: positionCount().default(10304)
    .meta(doc('scan positions per dose, before the train/test split (the study\'s size; `nImages` overrides it)', 'positions')),
  nImages: positionCount().nullable().default(null)
    .meta(doc('scan positions requested for this run; null: `nPositions`, or the base NPZ\'s xcoords length', 'positions')),
  seed: nonNegativeInt().default(42)
    .meta(doc('seed of the simulation: object texture, scan positions and Poisson noise (one stream each)')),
  baseNpz: z.string({ error: 'a file path' }).min(1, { error: 'a file path' }).nullable().default(null)
    .meta(doc('take objectGuess and probeGuess from this NPZ instead of the synthetic object and probe')),
  splitAxis: z.enum(['x', 'y'], { error: 'x or y' }).default('y')
    .meta(doc('axis along which positions are split into train (below the midpoint) and test')),
}).strict().brand<'SimulationSettings'>();

// ─── Phase D ─────────────────────────────────────────────────────────────────────────────────────────

const FRACTION = 'an overlap fraction in [0, 1)';
const fraction = z.number({ error: FRACTION }).min(0, { error: FRACTION })
  // 70 for 70 %: a percentage is said to be one
  .lt(1, { error: (iss) => typeof iss.input === 'number' && iss.input > 1 && iss.input < 100 ? `${FRACTION}, a fraction, not a percentage (${iss.input / 100} for ${iss.input} %)` : FRACTION });

export const OverlapSettingsSchema = z.object({
  // Only the study's subsets: Phases F and G reconstruct and score baseline (every position), dense and sparse, so a
  // view of another name would be cut and never reconstructed, and one named baseline would shadow the full scan.
  views: z.record(z.string().regex(/^(dense|sparse)$/, {
    error: 'a view named dense or sparse (baseline is every position; Phases F and G reconstruct and score these three views)',
  }), fraction)
    .refine((v) => Object.keys(v).length > 0, { error: 'at least one view' })
    .default(() => ({ dense: 0.7, sparse: 0.2 }))
    .meta(doc('overlap fraction f of each view; positions keep pairwise distances ≥ S = (1 − f)·N')),
  seed: nonNegativeInt().default(456)
    .meta(doc('seed of the order in which greedy selection visits the positions (the same for every dose and view)')),
  order: z.enum(['seeded', 'raster'], { error: "'seeded' or 'raster'" }).default('seeded')
    .meta(doc("order in which greedy selection visits the positions: 'seeded' (a shuffle of `seed`) or 'raster' (by y, then x, then index: the reference study's greedy_min_spacing_selection, which packs tighter)")),
  neighborCount: positiveInt().default(6)
    .meta(doc('K: neighbours of each position in the image-based overlap metric')),
  probeDiameterPx: z.number({ error: 'a positive number of pixels' }).positive({ error: 'a positive number of pixels' })
    .nullable().default(null)
    .meta(doc('disc diameter of the overlap metrics; null: N, the patch size', 'pixels')),
}).strict().brand<'OverlapSettings'>();

// ─── Phase F: the engine's options and the job's own ────────────────────────────────────────────────

const D = DEFAULT_LSQML_OPTIONS;
/** What a thread count must be: each worker thread of a reconstruction holds its own buffers. */
const THREADS = `an integer from 1 to ${MAX_LSQML_THREADS} (MAX_LSQML_THREADS)`;
/** What a mode count must be: every mode after the first takes 2 % of the probe's energy (checkProbeModes). */
const MODES = `an integer from 1 to ${MAX_PROBE_MODES} (MAX_PROBE_MODES: each mode after the first takes 2 % of the probe's energy)`;
/** The study's one default epoch count, for every command (pty-chi's own is 100: the fly64 preset sets it). */
const STUDY_EPOCHS = 50;
/** What an epoch count must be while the first epoch only rescales the probe (then 1 epoch updates nothing). */
const TOO_FEW_EPOCHS = 'an integer ≥ 2 (epoch 0 only rescales the probe, so 1 epoch would update nothing; ' +
  'set rescaleProbeIntensityInFirstEpoch to false to update in every epoch)';
/** What a plan's stop must be: a plan with stop ≤ start schedules no epoch at all. */
const PLAN_STOP = (optimizable: string) => `an integer > start, or null (a stop at or before the start schedules no epoch; set ${optimizable} to false to turn it off)`;
const plan = (what: string, defaults: LsqmlOptions['objectPlan'], optimizable: string) => z.object({
  // a plan given in part keeps the rest of its own defaults (ambiguityPlan's stride is 10)
  start: nonNegativeInt().default(defaults.start).meta(doc('first epoch')),
  stop: positiveInt('an integer ≥ 1 or null').nullable().default(defaults.stop).meta(doc('first epoch no longer included, after start; null: never')),
  stride: positiveInt().default(defaults.stride).meta(doc('every stride-th epoch from start')),
}).strict().superRefine((p, ctx) => {
  if (p.stop !== null && p.stop >= 1 && p.stop <= p.start) ctx.addIssue({ code: 'custom', path: ['stop'], input: p.stop, message: PLAN_STOP(optimizable) });
}).default(() => ({ ...defaults })).meta(doc(`${what} (pty-chi optimization_plan: epochs e with start ≤ e < stop, (e − start) mod stride = 0)`));

// reconstruction.crop and reconstruction.binSize, optional with no default value filled in (the JSON Schema states the
// value that absent means): absent, they are not written into a study's files, whose bytes stay as they were. Their
// own schema too (FrameSettingsSchema): the report reads them back from a reconstruction's _metadata with it.
const CropSetting = z.object({
  center: z.tuple([cropPixel(), cropPixel()], { error: CROP_CENTER }).meta(doc('the window\'s centre [y, x] in the file\'s frames, row then column (ptychodus CropCenterYInPixels, CropCenterXInPixels): it becomes the patterns\' centre [size/2, size/2]', 'pixels')),
  size: z.int({ error: CROP_SIZE }).min(2, { error: CROP_SIZE }).max(MAX_CROP_SIZE, { error: CROP_SIZE })
    .meta(doc('side of the square window (ptychodus CropWidthInPixels, CropHeightInPixels); an even side with no prime factor above 13 for float32, a power of two for the fastest FFT; odd ones run in float64 on the WebAssembly FFT, any other on the TypeScript one', 'pixels')),
}, { error: 'a group: center [y, x] and size, or null' }).strict().nullable().optional()
  .meta({ ...doc('measured data (CXI, PtyPy .ptyd): read only a size × size window of each detector frame about center (ptychodus\'s crop); a window reaching outside the frames is padded with zeros there, masked (a crop of the frames\' size re-centres them); the detector mask is cropped alike. null (or absent): the frames as stored, direct beam at their centre (docs/real-data.md, "Cropping and binning detector frames")'), default: null });
const BinSizeSetting = z.int({ error: BIN_SIZE }).min(1, { error: BIN_SIZE }).max(MAX_BIN_SIZE, { error: BIN_SIZE }).optional()
  .meta({ ...doc('measured data (CXI, PtyPy .ptyd): sum b × b detector pixels into one after the crop (ptychodus BinSizeX, BinSizeY): counts stay counts, the detector pixel becomes b times larger; it must divide the crop size (or the frames\' sides). A binned pixel is masked when any of its pixels is. 1 (or absent): no binning', 'pixels'), default: 1 });

const ORIENTATION = `a list of ${ORIENTATION_NAMES.join(', ')} (each at most once), or PtyPy's orientation, an integer 0 to 7`;
const OrientationSetting = z.union([
  z.int({ error: ORIENTATION }).min(0, { error: ORIENTATION }).max(7, { error: ORIENTATION }),
  z.array(z.enum(ORIENTATION_NAMES, { error: ORIENTATION }), { error: ORIENTATION }).max(3, { error: ORIENTATION })
    .refine((a) => new Set(a).size === a.length, { error: ORIENTATION }),
], { error: ORIENTATION }).optional()
  .meta({ ...doc('measured data (CXI, PtyPy .ptyd): flip the patterns left–right (flipHorizontal: numpy.flip axis −1), up–down (flipVertical: axis −2), then transpose them, in this order whatever the list\'s (ptychodus FlipHorizontal, FlipVertical, Transpose), after the crop and the binning; or PtyPy\'s orientation 0–7 (4 transpose, 2 flipud, 1 fliplr, applied transpose first). The detector mask and the file\'s own probe are oriented alike; positions are not changed: the object comes out in the orientation of the patterns. [] (or absent): the frames\' own (docs/real-data.md, "Frame orientation")'), default: [] });

const CXI_ENTRY = 'a CXI entry group\'s name, entry_1, entry_2, … (or null)';
const CxiEntrySetting = z.string({ error: CXI_ENTRY }).regex(/^entry_[1-9][0-9]{0,5}$/, { error: CXI_ENTRY }).nullable().optional()
  .meta({ ...doc('measured data (CXI): the entry read, entry_N, in a file holding several (a file with several is refused without it, naming them). null (or absent): the file\'s one entry (entry_1 when it has none) (docs/real-data.md, "CXI")'), default: null });

/** The bin size must divide the crop's side (one issue at `binSize`). */
function cropBinIssues(r: { crop?: { size: number } | null | undefined; binSize?: number | undefined }, ctx: z.core.$RefinementCtx): void {
  if (r.crop != null && r.binSize !== undefined && r.crop.size % r.binSize !== 0) {
    ctx.addIssue({ code: 'custom', path: ['binSize'], input: r.binSize, message: `a divisor of the crop size ${r.crop.size} (reconstruction.crop.size, --crop-size)` });
  }
}

/**
 * reconstruction.crop and reconstruction.binSize alone, with the same bounds and words as in the reconstruction group
 * (other keys are ignored): how a reader of a recorded `_metadata.reconstruction_settings` (the report's
 * drawn patterns) parses the frames a reconstruction made, as the settings parse made them.
 */
export const FrameSettingsSchema = z.object({ crop: CropSetting, binSize: BinSizeSetting, orientation: OrientationSetting, cxiEntry: CxiEntrySetting }).superRefine(cropBinIssues);

export const ReconstructionSettingsSchema = z.object({
  epochs: positiveInt().default(STUDY_EPOCHS)
    .meta(doc('LSQML epochs, epoch 0 included: with rescaleProbeIntensityInFirstEpoch (the default, as in pty-chi) epoch 0 only rescales the probe, so at least 2 are needed for an update', 'epochs')),
  batchSize: positiveInt().default(96)
    .meta(doc('positions per minibatch (the reference study\'s 96; pty-chi\'s own default is 100)', 'positions')),
  // PtyPy's ML_type names (docs/real-data.md, "Coming from PtyPy"): 'euclid' fits amplitudes, as gaussian does here
  noiseModel: z.enum(['gaussian', 'poisson'], {
    error: (iss) => iss.input === 'euclid' ? 'gaussian or poisson (PtyPy\'s ML_type \'euclid\', which fits amplitudes, is gaussian here)' : 'gaussian or poisson',
  }).default(D.noiseModel)
    .meta(doc('far-field noise model of the update (pty-chi noise_model)')),
  modes: z.int({ error: MODES }).min(1, { error: MODES }).max(MAX_PROBE_MODES, { error: MODES }).default(1)
    .meta(doc(`incoherent probe modes, at most ${MAX_PROBE_MODES} (MAX_PROBE_MODES) and at most the probe's pixels; extra modes from pty-chi's Hermite recipe (orthogonalize_initial_probe)`)),
  seed: nonNegativeInt().default(42)
    .meta(doc('seed of the minibatch order and of the Poisson step perturbation')),
  initObject: z.string().regex(/^(ones|guess|file:.+)$/, { error: 'ones, guess or file:PATH' }).default('ones')
    .meta(doc('initial object: ones (no ground truth leaks in), the dataset\'s objectGuess (guess), or file:PATH to continue a reconstruction (NPZ reconstructed_object or objectGuess, ptychodus .h5 object, PtyPy .ptyr content/obj, CXI entry_1/image_k; complex [H, W] of the object frame this dataset gives, at its pixel size when both state one; a ptychodus object of another shape, on data with positions in metres, is placed by its centre)')),
  initProbe: z.string().regex(/^(guess|file:.+)$/, { error: 'guess or file:PATH' }).default('guess')
    .meta(doc('initial probe: guess (the dataset\'s probeGuess or CXI illumination) or file:PATH (NPZ reconstructed_probe/probeGuess, CXI, ptychodus .h5, PtyPy .ptyr)')),
  probeModel: z.string().nullable().default(null)
    .refine((v) => v === null || probeModelError(v) === null, { error: (iss) => probeModelError(String(iss.input)) ?? 'a probe model' })
    .meta(doc('model probe for data without one (metres): aperture:diameter=D[,distance=Z] or fzp:diameter=D,outer-zone=DR|focal-length=F[,stop=S][,defocus=Z]; add wavelength=…,pixel=… when the data states no geometry; null: the data\'s own probe')),
  nImages: positiveInt().nullable().default(null)
    .meta(doc('use only the first n patterns of each dataset (file order); null: all', 'positions')),
  detectorMask: z.boolean({ error: 'true or false' }).default(true)
    .meta(doc('measured data (CXI, PtyPy .ptyd): leave unfitted the pixels its file marks as not measured — the CXI detector mask (bits 0x2ff), PtyPy weights of 0, values at an integer type\'s maximum (detector gaps) — set to 0; false: fit every pixel as read (docs/real-data.md). No effect on a dataset NPZ')),
  radiation: z.enum(['photon', 'electron'], {
    // X-rays are photons: the word a file's source names them by (NeXus 'x-ray') is photon here
    error: (iss) => `photon or electron (in a settings file also null: as the file states)${typeof iss.input === 'string' && /^x[-_ ]?rays?$/i.test(iss.input) ? '; x-rays are photons: photon' : ''}`,
  }).nullable().default(null)
    .meta(doc('measured data (CXI): what the file\'s energy is the energy of — photon (λ = hc/E) or electron (kinetic energy, the relativistic de Broglie λ = h/√(2·m0·E·(1 + E/(2·m0·c²)))); null: as the file states (entry_1/instrument_1/source_1/probe, NeXus NXsource probe: \'electron\', \'x-ray\', …), photon when it states none. A value the file contradicts is refused, and so is electron for a PtyPy .ptyd (its meta/energy is a photon energy) and any value for a dataset NPZ (it states no energy) (docs/real-data.md, "Radiation")')),
  crop: CropSetting,
  binSize: BinSizeSetting,
  orientation: OrientationSetting,
  cxiEntry: CxiEntrySetting,
  threads: z.int({ error: THREADS }).min(1, { error: THREADS }).max(MAX_LSQML_THREADS, { error: THREADS }).nullable().default(null)
    .meta(doc('threads of one reconstruction; null: min(2, cores) for one job (in a SLURM job: the CPUs SLURM gave its task), 1 per job when several run at once; results do not depend on it')),
  gaussianNoiseStd: z.number({ error: 'a number > 0' }).positive({ error: 'a number > 0' }).default(D.gaussianNoiseStd)
    .meta(doc('σ of the Gaussian model (pty-chi gaussian_noise_std; 0.5 is the modulus projection)')),
  rescaleProbeIntensityInFirstEpoch: z.boolean().default(D.rescaleProbeIntensityInFirstEpoch)
    .meta(doc('epoch 0 only rescales the probe to the measured intensity (pty-chi rescale_probe_intensity_in_first_epoch)')),
  preconditioningDampingFactor: nonNegative().default(D.preconditioningDampingFactor)
    .meta(doc('δ of the preconditioner D/√(C² + (δ·max C)²) (pty-chi preconditioning_damping_factor)')),
  buildPreconditionerWithAllModes: z.boolean().default(D.buildPreconditionerWithAllModes)
    .meta(doc('illumination map from all incoherent modes instead of mode 0 (pty-chi build_preconditioner_with_all_modes)')),
  stepSizeRegularization: nonNegative().default(D.stepSizeRegularization)
    .meta(doc('λ_LSQ: boost of the 2×2 step-size system\'s diagonal, as a fraction of its batch mean')),
  objectStepSizeScaler: nonNegative().default(D.objectStepSizeScaler)
    .meta(doc('β_LSQ of the object step (pty-chi object optimal_step_size_scaler)')),
  probeStepSizeScaler: nonNegative().default(D.probeStepSizeScaler)
    .meta(doc('β_LSQ of the probe step (pty-chi probe optimal_step_size_scaler)')),
  multimodalUpdate: z.boolean().default(D.multimodalUpdate)
    .meta(doc('object direction summed over all modes, step divided by M (pty-chi object multimodal_update)')),
  objectLearningRate: nonNegative().default(D.objectLearningRate)
    .meta(doc('SGD learning rate of the object (pty-chi object step_size)')),
  probeLearningRate: nonNegative().default(D.probeLearningRate)
    .meta(doc('SGD learning rate of the probe (pty-chi probe step_size)')),
  objectOptimizable: z.boolean().default(D.objectOptimizable).meta(doc('update the object (pty-chi object optimizable)')),
  objectPlan: plan('epochs in which the object is updated', D.objectPlan, 'objectOptimizable'),
  probeOptimizable: z.boolean().default(D.probeOptimizable).meta(doc('update the probe (pty-chi probe optimizable)')),
  probePlan: plan('epochs in which the probe is updated (its start also shifts the preconditioner schedule)', D.probePlan, 'probeOptimizable'),
  orthogonalizeIncoherentModes: z.boolean().default(D.orthogonalizeIncoherentModes)
    .meta(doc('SVD orthogonalisation of the probe modes at the end of the planned epochs (no-op for one mode)')),
  orthogonalizePlan: plan('epochs that end with the mode orthogonalisation', D.orthogonalizePlan, 'orthogonalizeIncoherentModes'),
  removeObjectProbeAmbiguity: z.boolean().default(D.removeObjectProbeAmbiguity)
    .meta(doc('remove the object–probe scale ambiguity at the end of the planned epochs')),
  ambiguityPlan: plan('epochs that end with the ambiguity removal', D.ambiguityPlan, 'removeObjectProbeAmbiguity'),
  excludeMeasuredPixelsBelow: z.number({ error: 'a finite number or null' }).nullable().default(D.excludeMeasuredPixelsBelow)
    .meta(doc('pixels measuring at most this many photons are unconstrained in the far-field step; null: none', 'photons')),
  poissonStepNoise: nonNegative().default(D.poissonStepNoise)
    .meta(doc('σ of the Gaussian perturbation of the Poisson far-field step (pty-chi get_psi_far_step_size; 0 for parity runs)')),
  clampPoissonStepAfterNoise: z.boolean().default(D.clampPoissonStepAfterNoise)
    .meta(doc('clamp the perturbed Poisson step to [0, 1] again (a departure from pty-chi, docs/lsqml.md)')),
  originConvention: z.enum(['ptychi', 'centered'], { error: 'ptychi or centered' }).default(D.originConvention)
    .meta(doc('position origin of the object buffer (src/math/positions.ts; pty-chi issue #73); a job converts the file\'s coordinates with the same origin, so its reconstruction does not depend on it (docs/lsqml.md)')),
  divergenceFactor: z.number({ error: 'a number > 1' }).gt(1, { error: 'a number > 1' }).default(D.divergenceFactor)
    .meta(doc('stop when the loss exceeds this factor times the epoch-0 or the previous epoch\'s loss in 3 epochs in a row (in 1 for the Poisson model in float32; a shorter rise is a warning), or is not finite')),
  fftBackend: z.enum(['auto', 'ts', 'wasm'], { error: 'auto, ts or wasm' }).default(D.fftBackend)
    .meta(doc('FFT implementation; auto: WebAssembly SIMD when available; ts (plain TypeScript) computes in float64 whatever the precision')),
  precision: z.enum(['float32', 'float64'], {
    // C's and NumPy's words for the two: double is float64, single float32
    error: (iss) => `float32 or float64${typeof iss.input === 'string' && /^(?:double|single)$/i.test(iss.input) ? ` (${iss.input} precision is ${/^d/i.test(iss.input) ? 'float64' : 'float32'})` : ''}`,
  }).default(D.precision)
    .meta(doc('working precision: float32 (complex64, pty-chi\'s own; needs the WebAssembly kernels and an even patch side with no prime factor above 13) or float64 (for checks)')),
}).strict().superRefine((r, ctx) => {
  // The engine runs 1 epoch when asked (pty-chi parity tests do); a study never wants a run that updates nothing.
  if (r.epochs === 1 && r.rescaleProbeIntensityInFirstEpoch) ctx.addIssue({ code: 'custom', path: ['epochs'], input: r.epochs, message: TOO_FEW_EPOCHS });
  cropBinIssues(r, ctx);
}).brand<'ReconstructionSettings'>();

// ─── execution ───────────────────────────────────────────────────────────────────────────────────────

/** A SLURM time limit as sbatch --time takes it. */
const SLURM_TIME = /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}|\d+-\d{1,2}:\d{1,2}|\d+-\d{1,2}:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$/;
/** A partition, account or QOS name: one word (SLURM names never hold spaces). */
const slurmName = (what: string) => z.string({ error: `a ${what} name` }).regex(/^[A-Za-z0-9_.+-]+$/, { error: `a ${what} name (letters, digits, _ . + -)` });

/**
 * The sbatch options every job script sets itself (script.ts): a user's would replace them — `--dependency=afterok:N`
 * the chain's own `afterany` (a phase would start before the one it reads had ended), `--array` the step's tasks,
 * `--output` / `--open-mode` the task logs the failure lines quote. Long names as sbatch reads them (any unambiguous
 * prefix: `--depend=`), and the short `-a`, `-d`, `-o`.
 */
const SET_BY_SCRIPT = ['array', 'dependency', 'output', 'open-mode'];
export function setByScript(arg: string): boolean {
  const long = /^--([^=\s]+)/.exec(arg);
  return long !== null ? SET_BY_SCRIPT.some((o) => o.startsWith(long[1]!)) : /^-[ado]/.test(arg);
}

/**
 * sbatch's `--wait` (`-W`): each sbatch would return only once its job had ended, so the chain of arrays would be
 * submitted a phase at a time, a failed job would read as sbatch refusing the step, and a phase longer than a SLURM
 * command's time limit would leave its job submitted and unrecorded. The command follows the jobs itself (or returns
 * with --detach).
 */
export function holdsSbatch(arg: string): boolean {
  return /^(--wait|-W)$/.test(arg);
}

/** How SLURM runs a study's jobs (`executor: 'slurm'`; docs/slurm.md). Each is an sbatch option; null: the cluster's default. */
export const SlurmSettingsSchema = z.object({
  partition: slurmName('partition').nullable().default(null).meta(doc('partition of every job (sbatch --partition); null: the cluster\'s default')),
  account: slurmName('account').nullable().default(null).meta(doc('account charged (sbatch --account); null: the user\'s default')),
  time: z.string({ error: 'a SLURM time limit' }).regex(SLURM_TIME, { error: 'a SLURM time limit: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS' })
    .nullable().default(null).meta(doc('time limit of each task (sbatch --time); null: the partition\'s default')),
  cpusPerTask: positiveInt().nullable().default(null)
    .meta(doc('CPUs of each task (sbatch --cpus-per-task); a reconstruction uses that many threads; null: SLURM\'s default (1)', 'CPUs')),
  mem: z.string({ error: 'a memory size' }).regex(/^\d+[KMGT]?$/i, { error: 'a memory size such as 4000M or 8G' }).nullable().default(null)
    .meta(doc('memory of each task (sbatch --mem, e.g. 8G); null: the partition\'s default')),
  qos: slurmName('QOS').nullable().default(null).meta(doc('quality of service (sbatch --qos); null: the default')),
  tasks: positiveInt().nullable().default(null)
    .meta(doc('SLURM array tasks of each phase; each takes the phase\'s jobs one after another until none is left (--time applies to a task); null: as many as the partition\'s CPUs hold at once (its CPUs ÷ cpusPerTask), at most one per job')),
  sbatchArgs: z.array(z.string({ error: 'sbatch options' }), { error: 'a list of sbatch options' })
    .refine((a) => a.every((x) => /^-[^\n"]*$/.test(x)), { error: 'sbatch options, each starting with - (no newline or double quote)' })
    .refine((a) => !a.some(setByScript), { error: 'sbatch options other than --array, --dependency, --output and --open-mode, which every job script sets itself (the chain of arrays and its logs)' })
    .refine((a) => !a.some(holdsSbatch), { error: 'sbatch options other than --wait (-W), which would hold each sbatch until its job ended (the command follows the jobs itself, or returns with --detach)' })
    .default(() => []).meta(doc('further sbatch options, each as one argument (e.g. --constraint=haswell), written into every job script')),
}).strict().meta(doc('the SLURM options of every job of a study run with executor slurm'));

/** Epochs between two checkpoints of a reconstruction by default (docs/lsqml.md, "Checkpoints": what one costs). */
export const DEFAULT_CHECKPOINT_EVERY = 10;

export const ExecutionSettingsSchema = z.object({
  jobs: positiveInt().nullable().default(null)
    .meta(doc('reconstructions (Phase F), and comparisons (Phase G), run at once, each in a worker thread; null: the number of cores (comparisons: one at a time in the main thread on two cores or fewer; executor slurm: see slurm.tasks)')),
  executor: z.enum(['local', 'slurm'], { error: 'local or slurm' }).default('local')
    .meta(doc('who runs the jobs: local (this machine, worker threads) or slurm (one job array per phase, docs/slurm.md)')),
  slurm: SlurmSettingsSchema.prefault({}),
  checkpointEvery: nonNegativeInt().default(DEFAULT_CHECKPOINT_EVERY)
    .meta(doc('epochs between two checkpoints of a reconstruction — `ptychostudy lsqml`: <out>/lsqml-checkpoint.npz, also written when a signal stops it; a Phase F job: <job>/lsqml-checkpoint.npz — from which it continues after a stop with the bytes of an uninterrupted run; 0: none (docs/lsqml.md, "Checkpoints")', 'epochs')),
}).strict().brand<'ExecutionSettings'>();

// ─── a whole study ───────────────────────────────────────────────────────────────────────────────────

export const StudySettingsSchema = z.object({
  preset: z.enum(PRESET_NAMES, { error: `one of ${PRESET_NAMES.join(', ')}` }).nullable().default(null)
    .meta(doc('named set of values applied under the given ones (presets.ts: quick, fly64); recorded in the outputs')),
  simulation: SimulationSettingsSchema.prefault({}),
  overlap: OverlapSettingsSchema.prefault({}),
  reconstruction: ReconstructionSettingsSchema.prefault({}),
  execution: ExecutionSettingsSchema.prefault({}),
}).strict().brand<'StudySettings'>();

export type SimulationSettings = z.output<typeof SimulationSettingsSchema>;
export type OverlapSettings = z.output<typeof OverlapSettingsSchema>;
export type ReconstructionSettings = z.output<typeof ReconstructionSettingsSchema>;
export type ExecutionSettings = z.output<typeof ExecutionSettingsSchema>;
export type SlurmSettings = z.output<typeof SlurmSettingsSchema>;
export type StudySettings = z.output<typeof StudySettingsSchema>;
/** What a caller may give: every field optional, groups optional. */
export type StudySettingsInput = z.input<typeof StudySettingsSchema>;
/** The `reconstruction` group as a caller gives it (every field optional: the defaults complete it). */
export type ReconstructionSettingsInput = z.input<typeof ReconstructionSettingsSchema>;

/** The engine's option names: the reconstruction group must hold every one (this fails to compile otherwise). */
type MissingEngineOptions = Exclude<keyof LsqmlOptions, keyof ReconstructionSettings>;
const everyEngineOptionIsASetting: [MissingEngineOptions] extends [never] ? true : MissingEngineOptions = true;
void everyEngineOptionIsASetting;

/** File name of the published JSON Schema of the settings under `schemas/`. */
export const SETTINGS_SCHEMA_FILE = 'settings.schema.json';

/** The JSON Schema (draft 2020-12) of the settings, as written to schemas/settings.schema.json. */
export function settingsJsonSchema(): string {
  const js = z.toJSONSchema(StudySettingsSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  const { $schema, ...rest } = js;
  return JSON.stringify({ $schema, title: 'ptychostudy settings (a study, and the reconstruction of one dataset)', ...rest }, null, 2) + '\n';
}
